//! Refusing to start: a bad configuration or environment stops the process with a message
//! that names the fault.

use std::process::Output;

use crate::common::command;

fn run(config: &str, env: &[(&str, &str)]) -> Output {
    let (mut command, _dir) = command(config);
    command.envs(env.iter().copied());
    command.stderr(std::process::Stdio::piped());
    command.output().expect("hub-gateway runs")
}

#[test]
fn a_bad_config_is_refused_with_every_fault_named() {
    let config = r#"
providers:
  - { key: openai, type: openai, api_key: "${MISSING_KEY}" }
models:
  - { key: gpt-4o, type: gpt-4o, provider: anthropc }
pipelines:
  - name: default
    type: chat
    plugins:
      - model-router: { models: [gpt-4o] }
"#;

    let output = run(config, &[]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("providers[0].api_key: environment variable MISSING_KEY is not set"),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"models[0].provider: no provider named "anthropc""#),
        "{stderr}"
    );
}

#[test]
fn a_missing_config_file_is_refused() {
    let (mut command, _dir) = command("");
    command.env("CONFIG_FILE_PATH", "/nonexistent/hub/config.yaml");

    let output = command.output().expect("hub-gateway runs");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/hub/config.yaml"), "{stderr}");
}

#[test]
fn a_provider_that_cannot_be_built_is_refused() {
    // Valid as a whole, but Bedrock cannot tell its region from this endpoint.
    let config = r#"
providers:
  - { key: aws, type: bedrock, base_url: "http://127.0.0.1:9", aws_access_key_id: a, aws_secret_access_key: b }
models:
  - { key: nova, type: amazon.nova-lite-v1:0, provider: aws }
pipelines:
  - { name: default, type: chat, plugins: [ { model-router: { models: [nova] } } ] }
"#;

    let output = run(config, &[]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("providers[0] (aws): region"), "{stderr}");
}

#[test]
fn an_unknown_mode_is_refused() {
    let output = run("", &[("HUB_MODE", "cloud")]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("HUB_MODE must be `yaml` or `database`"),
        "{stderr}"
    );
}

#[test]
fn a_bad_limit_variable_is_refused_with_its_name() {
    let env = [
        ("HUB_MAX_CONNECTIONS", "0"),
        ("HUB_IDLE_TIMEOUT_MS", "soon"),
    ];

    let output = run("", &env);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("HUB_MAX_CONNECTIONS: must be between 1 and 1000000"),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"HUB_IDLE_TIMEOUT_MS: expected a whole number, found "soon""#),
        "{stderr}"
    );
}
