//! Tests of loading: parsing, `${NAME}` expansion, overrides and how faults are reported.

use std::collections::BTreeMap;

use hub_core::config::{LogLevel, PluginConfig, ProviderType};
use proptest::prelude::*;

use super::*;

const MINIMAL: &str = r#"
general:
  trace_content_enabled: false
providers:
  - key: openai
    type: openai
    api_key: ${OPENAI_API_KEY}
models:
  - key: gpt-4o
    type: gpt-4o
    provider: openai
pipelines:
  - name: default
    type: chat
    plugins:
      - model-router:
          models: [gpt-4o]
"#;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

fn fault_lines(result: Result<HubConfig, ConfigError>) -> Vec<String> {
    let error = result.expect_err("the configuration should be refused");
    error.faults().iter().map(ToString::to_string).collect()
}

#[test]
fn loads_a_full_configuration() {
    let yaml = r#"
general:
  trace_content_enabled: true
  max_request_body_bytes: 1048576
providers:
  - key: openai
    type: openai
    api_key: ${OPENAI_API_KEY}
    base_url: ${OPENAI_BASE_URL:-https://api.openai.com/v1}
    timeout_ms: 30000
    organization_id: org-1
  - key: bedrock
    type: bedrock
    region: eu-west-1
models:
  - key: gpt-4o
    type: gpt-4o
    provider: openai
  - key: nova
    type: amazon.nova-lite-v1:0
    provider: bedrock
pipelines:
  - name: default
    type: chat
    plugins:
      - logging: { level: debug }
      - tracing: { endpoint: "http://collector:4318" }
      - model-router: { models: [gpt-4o, nova] }
"#;
    let config = load_str(yaml, &env(&[("OPENAI_API_KEY", "sk-1")])).unwrap();

    assert!(config.general.trace_content_enabled);
    assert_eq!(config.general.max_request_body_bytes, 1_048_576);

    let openai = &config.providers[0];
    assert_eq!(openai.provider_type, ProviderType::OpenAi);
    assert_eq!(openai.api_key.as_deref(), Some("sk-1"));
    assert_eq!(
        openai.base_url.as_deref(),
        Some("https://api.openai.com/v1")
    );
    assert_eq!(openai.timeout_ms, Some(30_000));
    assert_eq!(openai.param_str("organization_id"), Some("org-1"));
    assert_eq!(config.providers[1].param_str("region"), Some("eu-west-1"));

    assert_eq!(config.models[1].model_type, "amazon.nova-lite-v1:0");

    let plugins = &config.pipelines[0].plugins;
    assert!(matches!(&plugins[0], PluginConfig::Logging(l) if l.level == LogLevel::Debug));
    assert!(
        matches!(&plugins[1], PluginConfig::Tracing(t) if t.endpoint == "http://collector:4318")
    );
    let router = config.pipelines[0].model_router().unwrap();
    assert_eq!(router.models, ["gpt-4o", "nova"]);
}

#[test]
fn an_empty_document_is_an_empty_configuration() {
    assert_eq!(load_str("", &env(&[])).unwrap(), HubConfig::default());
    assert_eq!(
        load_str("# nothing yet\n", &env(&[])).unwrap(),
        HubConfig::default()
    );
}

#[test]
fn an_expanded_value_stays_one_string() {
    let tricky = "a: b\nmodels: []\n- c # d";
    let config = load_str(MINIMAL, &env(&[("OPENAI_API_KEY", tricky)])).unwrap();

    assert_eq!(config.providers[0].api_key.as_deref(), Some(tricky));
    assert_eq!(config.models.len(), 1);
}

#[test]
fn a_default_applies_when_the_variable_is_unset() {
    let yaml = MINIMAL.replace("${OPENAI_API_KEY}", "${OPENAI_API_KEY:-sk-default}");

    let unset = load_str(&yaml, &env(&[])).unwrap();
    assert_eq!(unset.providers[0].api_key.as_deref(), Some("sk-default"));

    let set = load_str(&yaml, &env(&[("OPENAI_API_KEY", "sk-set")])).unwrap();
    assert_eq!(set.providers[0].api_key.as_deref(), Some("sk-set"));
}

#[test]
fn a_doubled_dollar_keeps_a_literal_reference() {
    let yaml = MINIMAL.replace("${OPENAI_API_KEY}", "\"$${NOT_A_VARIABLE}\"");
    let config = load_str(&yaml, &env(&[])).unwrap();
    assert_eq!(
        config.providers[0].api_key.as_deref(),
        Some("${NOT_A_VARIABLE}")
    );
}

#[test]
fn every_unset_variable_is_reported_at_its_path() {
    let yaml = MINIMAL.replace("    type: gpt-4o\n", "    type: ${MODEL_ID}\n");

    let lines = fault_lines(load_str(&yaml, &env(&[])));

    assert_eq!(
        lines,
        [
            "models[0].type: environment variable MODEL_ID is not set",
            "providers[0].api_key: environment variable OPENAI_API_KEY is not set",
        ]
    );
}

#[test]
fn an_unset_variable_does_not_hide_the_other_faults() {
    let yaml = MINIMAL.replace("provider: openai", "provider: openia");

    let faults = fault_lines(load_str(&yaml, &env(&[])));

    assert_eq!(
        faults,
        [
            "providers[0].api_key: environment variable OPENAI_API_KEY is not set",
            r#"models[0].provider: no provider named "openia""#,
        ]
    );
}

#[test]
fn trace_content_enabled_overrides_the_file() {
    for (raw, expected) in [("true", true), ("1", true), ("TRUE", true), ("0", false)] {
        let yaml = MINIMAL.replace(
            "trace_content_enabled: false",
            &format!("trace_content_enabled: {}", !expected),
        );
        let environment = env(&[("OPENAI_API_KEY", "k"), ("TRACE_CONTENT_ENABLED", raw)]);

        let config = load_str(&yaml, &environment).unwrap();

        assert_eq!(config.general.trace_content_enabled, expected, "{raw}");
    }
}

#[test]
fn trace_content_enabled_applies_without_a_general_section() {
    let yaml = MINIMAL.replace("general:\n  trace_content_enabled: false\n", "");
    let environment = env(&[("OPENAI_API_KEY", "k"), ("TRACE_CONTENT_ENABLED", "true")]);

    let config = load_str(&yaml, &environment).unwrap();

    assert!(config.general.trace_content_enabled);
    assert_eq!(
        config.general.max_request_body_bytes,
        hub_core::config::DEFAULT_MAX_REQUEST_BODY_BYTES
    );
}

#[test]
fn an_empty_trace_content_enabled_leaves_the_file_alone() {
    let yaml = MINIMAL.replace(
        "trace_content_enabled: false",
        "trace_content_enabled: true",
    );
    let environment = env(&[("OPENAI_API_KEY", "k"), ("TRACE_CONTENT_ENABLED", "")]);

    assert!(
        load_str(&yaml, &environment)
            .unwrap()
            .general
            .trace_content_enabled
    );
}

#[test]
fn limit_variables_override_the_file() {
    let yaml = MINIMAL.replace(
        "trace_content_enabled: false",
        "trace_content_enabled: false\n  max_connections: 10\n  max_messages: 20",
    );
    let environment = env(&[
        ("OPENAI_API_KEY", "k"),
        ("HUB_MAX_CONNECTIONS", " 500 "),
        ("HUB_IDLE_TIMEOUT_MS", "1500"),
        ("HUB_MAX_HEADERS", ""),
    ]);

    let general = load_str(&yaml, &environment).unwrap().general;

    assert_eq!(general.max_connections, 500);
    assert_eq!(general.idle_timeout_ms, 1500);
    assert_eq!(
        general.max_messages, 20,
        "the file's value where no variable is set"
    );
    assert_eq!(
        general.max_headers,
        hub_core::config::DEFAULT_MAX_HEADERS,
        "an empty variable is unset"
    );
}

#[test]
fn limit_variables_apply_to_database_values() {
    let value = serde_json::json!({"providers": [], "models": [], "pipelines": []});
    let environment = env(&[("HUB_MAX_CONCURRENT_REQUESTS", "7")]);

    let config = load_value(&value, &environment).unwrap();

    assert_eq!(config.general.max_concurrent_requests, 7);
}

#[test]
fn bad_limit_variables_are_faults_at_their_names() {
    let environment = env(&[
        ("OPENAI_API_KEY", "k"),
        ("HUB_MAX_CONNECTIONS", "0"),
        ("HUB_MAX_HEADER_BYTES", "lots"),
        ("HUB_REQUEST_BODY_TIMEOUT_MS", "-5"),
    ]);

    assert_eq!(
        fault_lines(load_str(MINIMAL, &environment)),
        [
            r#"HUB_MAX_HEADER_BYTES: expected a whole number, found "lots""#,
            "HUB_MAX_CONNECTIONS: must be between 1 and 1000000",
            r#"HUB_REQUEST_BODY_TIMEOUT_MS: expected a whole number, found "-5""#,
        ]
    );
    assert_eq!(
        fault_lines(load_value(&serde_json::json!({}), &environment)).len(),
        3
    );
}

#[test]
fn a_bad_trace_content_enabled_is_a_fault() {
    let environment = env(&[("TRACE_CONTENT_ENABLED", "yes")]);

    let lines = fault_lines(load_str(MINIMAL, &environment));

    assert_eq!(
        lines,
        [
            "providers[0].api_key: environment variable OPENAI_API_KEY is not set",
            "TRACE_CONTENT_ENABLED: expected true, false, 1 or 0, found \"yes\"",
        ]
    );
}

#[test]
fn a_syntax_error_names_the_line() {
    let yaml = "general:\n  trace_content_enabled: true\n bad: [\n";

    let lines = fault_lines(load_str(yaml, &env(&[])));

    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("<string>: invalid YAML: "),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("line 3 column 2"), "{}", lines[0]);
}

#[test]
fn a_key_given_twice_is_a_fault() {
    let yaml = format!("{MINIMAL}providers: []\n");

    let lines = fault_lines(load_str(&yaml, &env(&[])));

    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].contains("duplicate entry with key \"providers\""),
        "{}",
        lines[0]
    );
}

#[test]
fn an_unknown_plugin_is_a_fault_at_its_path() {
    let yaml = MINIMAL.replace(
        "      - model-router:",
        "      - logger: {}\n      - model-router:",
    );

    let lines = fault_lines(load_str(&yaml, &env(&[("OPENAI_API_KEY", "k")])));

    assert_eq!(
        lines,
        [
            "pipelines[0].plugins[0].logger: unknown value `logger`; expected one of `logging`, \
          `tracing` or `model-router`"
        ]
    );
}

#[test]
fn an_unknown_top_level_field_is_a_fault() {
    let yaml = format!("{MINIMAL}provider: []\n");

    let lines = fault_lines(load_str(&yaml, &env(&[("OPENAI_API_KEY", "k")])));

    assert_eq!(
        lines,
        [
            "provider: unknown field; expected one of `general`, `providers`, `models` or \
          `pipelines`"
        ]
    );
}

#[test]
fn a_missing_required_field_is_a_fault_at_its_path() {
    let yaml = MINIMAL.replace("  - key: gpt-4o\n    type: gpt-4o", "  - type: gpt-4o");

    let lines = fault_lines(load_str(&yaml, &env(&[("OPENAI_API_KEY", "k")])));

    assert_eq!(lines, ["models[0].key: missing; this field is required"]);
}

#[test]
fn a_value_of_the_wrong_type_is_a_fault_at_its_path() {
    let yaml = MINIMAL.replace(
        "trace_content_enabled: false",
        "trace_content_enabled: maybe",
    );

    let lines = fault_lines(load_str(&yaml, &env(&[("OPENAI_API_KEY", "k")])));

    assert_eq!(
        lines,
        ["general.trace_content_enabled: invalid type: found string \"maybe\", expected a boolean"]
    );
}

#[test]
fn a_loaded_configuration_is_validated() {
    let yaml = MINIMAL.replace("provider: openai", "provider: opneai");

    let lines = fault_lines(load_str(&yaml, &env(&[("OPENAI_API_KEY", "k")])));

    assert_eq!(lines, ["models[0].provider: no provider named \"opneai\""]);
}

#[test]
fn loads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, MINIMAL).unwrap();

    let config = load_file(&path, &env(&[("OPENAI_API_KEY", "k")])).unwrap();

    assert_eq!(config.pipelines[0].name, "default");
}

#[test]
fn a_missing_file_is_a_fault_at_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.yaml");

    let lines = fault_lines(load_file(&path, &env(&[])));

    assert_eq!(
        lines,
        [format!("{}: configuration file not found", path.display())]
    );
}

#[test]
fn a_syntax_error_in_a_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, "providers: [\n").unwrap();

    let lines = fault_lines(load_file(&path, &env(&[])));

    let prefix = format!("{}: invalid YAML: ", path.display());
    assert!(lines[0].starts_with(&prefix), "{}", lines[0]);
    assert!(lines[0].contains("line 2"), "{}", lines[0]);
}

#[test]
fn renders_figment_paths_with_indices_in_brackets() {
    let segments = ["pipelines", "0", "plugins", "12", "model-router"].map(String::from);
    assert_eq!(
        render_path(&segments),
        "pipelines[0].plugins[12].model-router"
    );
    assert_eq!(render_path(&[]), "");
}

proptest! {
    #[test]
    fn never_panics_on_any_text(text in any::<String>()) {
        let _ = load_str(&text, &env(&[("OPENAI_API_KEY", "k")]));
    }

    #[test]
    fn never_panics_on_yaml_like_text(text in "[a-z_:\\-\\[\\]{}$#&*!|>'\" \n]{0,80}") {
        let _ = load_str(&text, &env(&[]));
    }

    #[test]
    fn any_variable_value_arrives_unchanged(value in any::<String>()) {
        prop_assume!(!value.is_empty());

        let config = load_str(MINIMAL, &env(&[("OPENAI_API_KEY", &value)])).unwrap();

        prop_assert_eq!(config.providers[0].api_key.as_deref(), Some(value.as_str()));
        prop_assert_eq!(config.providers.len(), 1);
    }
}

#[test]
fn a_value_is_read_as_a_file_is_but_without_expansion() {
    let value = serde_json::json!({
        "providers": [{"key": "openai", "type": "openai", "api_key": "${NOT_EXPANDED}"}],
        "models": [{"key": "gpt-4o", "type": "gpt-4o", "provider": "openai"}],
        "pipelines": [{"name": "default", "type": "chat",
                       "plugins": [{"model-router": {"models": ["gpt-4o"]}}]}],
    });

    let config = load_value(&value, &env(&[("TRACE_CONTENT_ENABLED", "true")])).unwrap();

    assert_eq!(
        config.providers[0].api_key.as_deref(),
        Some("${NOT_EXPANDED}")
    );
    assert!(config.general.trace_content_enabled);
}

#[test]
fn a_value_reports_every_fault_at_its_path() {
    let value = serde_json::json!({
        "providers": [{"key": "openai", "type": "openai", "timeout_ms": "soon"}],
        "models": [{"key": "gpt-4o", "type": "gpt-4o", "provider": "missing"}],
    });
    let lines = fault_lines(load_value(&value, &env(&[])));
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("providers[0].timeout_ms: invalid type"),
        "{lines:?}"
    );

    let value = serde_json::json!({
        "models": [{"key": "gpt-4o", "type": "gpt-4o", "provider": "missing"}],
    });
    assert_eq!(
        fault_lines(load_value(&value, &env(&[]))),
        [r#"models[0].provider: no provider named "missing""#]
    );
}
