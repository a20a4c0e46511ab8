//! Tests of validation: each rule's fault at its exact path, and all faults together.

use std::collections::BTreeMap;

use figment::Figment;
use figment::providers::Format;
use hub_core::config::{AccessKeyConfig, LogLevel, LoggingConfig};
use serde_json::json;

use super::*;
use crate::Yaml;

const VALID: &str = r#"
general:
  trace_content_enabled: true
  max_request_body_bytes: 1048576
providers:
  - key: openai
    type: openai
    api_key: sk-openai
    base_url: https://api.openai.com/v1
    connect_timeout_ms: 5000
    timeout_ms: 60000
    organization_id: org-1
    project_id: proj-1
  - key: anthropic
    type: anthropic
    api_key: sk-ant
    version: "2023-06-01"
    default_max_tokens: "8192"
  - key: azure
    type: azure
    api_key: az-key
    resource_name: my-resource
    api_version: "2024-10-21"
  - key: bedrock
    type: bedrock
    region: us-east-1
    aws_access_key_id: AKIAEXAMPLE
    aws_secret_access_key: secret
  - key: vertex
    type: vertexai
    project_id: my-project
    location: us-central1
    credentials_path: /etc/hub/service-account.json
models:
  - key: gpt-4o
    type: gpt-4o
    provider: openai
  - key: claude
    type: claude-sonnet-4-5
    provider: anthropic
  - key: azure-gpt-4o
    type: gpt-4o
    provider: azure
    deployment: gpt-4o-prod
  - key: nova
    type: amazon.nova-lite-v1:0
    provider: bedrock
  - key: gemini
    type: gemini-2.5-flash
    provider: vertex
pipelines:
  - name: default
    type: chat
    plugins:
      - logging: { level: debug }
      - tracing:
          endpoint: http://collector:4318
          api_key: trace-key
          headers: { x-team: hub }
      - model-router: { models: [gpt-4o, claude, azure-gpt-4o, nova, gemini] }
  - name: embeddings
    type: embeddings
    plugins:
      - model-router: { models: [gpt-4o] }
"#;

/// Indices into [`VALID`].
const OPENAI: usize = 0;
const ANTHROPIC: usize = 1;
const AZURE: usize = 2;
const BEDROCK: usize = 3;
const VERTEX: usize = 4;

/// [`VALID`] read through figment but not validated. serde_norway alone would not do: it
/// reads an externally tagged enum such as a plugin only from a YAML tag (`!logging`).
fn valid() -> HubConfig {
    Figment::from(Yaml::string(VALID)).extract().unwrap()
}

fn fault_lines(config: &HubConfig) -> Vec<String> {
    match validate(config) {
        Ok(()) => Vec::new(),
        Err(error) => error.faults().iter().map(ToString::to_string).collect(),
    }
}

fn set_param(provider: &mut ProviderConfig, name: &str, value: &str) {
    provider.params.insert(name.to_owned(), json!(value));
}

fn router(config: &mut HubConfig) -> &mut ModelRouterConfig {
    match &mut config.pipelines[0].plugins[2] {
        PluginConfig::ModelRouter(router) => router,
        other => panic!("expected the model router, found {other:?}"),
    }
}

#[test]
fn the_full_example_is_valid() {
    assert_eq!(fault_lines(&valid()), Vec::<String>::new());
}

#[test]
fn an_empty_configuration_is_valid() {
    assert_eq!(fault_lines(&HubConfig::default()), Vec::<String>::new());
}

#[test]
fn provider_fields_are_the_serialized_ones() {
    let mut provider = valid().providers[OPENAI].clone();
    provider.params.clear();

    let serialized = serde_json::to_value(&provider).unwrap();
    let mut names: Vec<&str> = serialized
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = PROVIDER_FIELDS.to_vec();
    names.sort_unstable();
    expected.sort_unstable();

    assert_eq!(names, expected);
}

#[test]
fn model_fields_are_the_serialized_ones() {
    let mut model = valid().models[0].clone();
    model.params.clear();
    model.timeout_ms = Some(1);
    model.first_byte_timeout_ms = Some(1);

    let serialized = serde_json::to_value(&model).unwrap();
    let mut names: Vec<&str> = serialized
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = MODEL_FIELDS.to_vec();
    names.sort_unstable();
    expected.sort_unstable();

    assert_eq!(names, expected);
}

#[test]
fn limits_of_zero_or_past_their_bounds_are_faults() {
    let mut config = valid();
    config.general.max_request_body_bytes = 0;
    config.general.max_header_bytes = 4096;
    config.general.max_connections = 0;
    config.general.idle_timeout_ms = u64::MAX;

    assert_eq!(
        fault_lines(&config),
        [
            "general.max_request_body_bytes: must be between 1 and 1073741824",
            "general.max_header_bytes: must be between 8192 and 16777216",
            "general.max_connections: must be between 1 and 1000000",
            "general.idle_timeout_ms: must be between 100 and 86400000",
        ]
    );
}

#[test]
fn a_body_budget_below_the_body_limit_is_a_fault() {
    let mut config = valid();
    config.general.max_request_body_bytes = 64 * 1024 * 1024;
    config.general.max_buffered_body_bytes = 32 * 1024 * 1024;

    assert_eq!(
        fault_lines(&config),
        ["general.max_buffered_body_bytes: must be at least max_request_body_bytes (67108864)"]
    );

    config.general.max_buffered_body_bytes = 1024;
    assert_eq!(
        fault_lines(&config),
        [
            "general.max_buffered_body_bytes: must be between 1048576 and 68719476736",
            "general.max_buffered_body_bytes: must be at least max_request_body_bytes (67108864)",
        ]
    );
}

#[test]
fn upstream_limits_of_zero_or_past_their_bounds_are_faults() {
    let mut config = valid();
    config.general.max_upstream_response_bytes = 0;
    config.general.max_upstream_event_bytes = 512;
    config.general.max_upstream_stream_bytes = 0;
    config.general.max_upstream_stream_seconds = 0;

    assert_eq!(
        fault_lines(&config),
        [
            "general.max_upstream_response_bytes: must be between 1024 and 4294967296",
            "general.max_upstream_event_bytes: must be between 1024 and 1073741824",
            "general.max_upstream_stream_bytes: must be between 1024 and 1099511627776",
            "general.max_upstream_stream_seconds: must be between 1 and 604800",
        ]
    );
}

#[test]
fn the_default_limits_are_valid() {
    let config = valid();

    assert_eq!(
        config.general,
        hub_core::config::GeneralConfig {
            trace_content_enabled: config.general.trace_content_enabled,
            max_request_body_bytes: config.general.max_request_body_bytes,
            ..Default::default()
        }
    );
    assert!(fault_lines(&config).is_empty());
}

#[test]
fn provider_keys_are_present_and_unique() {
    let mut config = valid();
    config.providers[1].key = " ".to_owned();
    config.providers[AZURE].key = "openai".to_owned();

    assert_eq!(
        fault_lines(&config),
        [
            "providers[1].key: must not be empty",
            "providers[2].key: \"openai\" is already used at providers[0].key",
            "models[1].provider: no provider named \"anthropic\"",
            "models[2].provider: no provider named \"azure\"",
        ]
    );
}

#[test]
fn an_unknown_provider_setting_is_a_fault() {
    let mut config = valid();
    set_param(&mut config.providers[OPENAI], "foo", "bar");

    assert_eq!(
        fault_lines(&config),
        [
            "providers[0].foo: unknown field for provider type openai; expected one of `key`, \
             `type`, `api_key`, `base_url`, `connect_timeout_ms`, `timeout_ms`, \
             `organization_id` or `project_id`"
        ]
    );
}

#[test]
fn a_setting_of_another_provider_type_is_a_fault() {
    let mut config = valid();
    set_param(&mut config.providers[OPENAI], "region", "us-east-1");

    let lines = fault_lines(&config);

    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("providers[0].region: unknown field for provider type openai"));
}

#[test]
fn a_provider_setting_must_be_a_string() {
    let mut config = valid();
    config.providers[VERTEX]
        .params
        .insert("project_id".to_owned(), json!(1234));

    assert_eq!(
        fault_lines(&config),
        ["providers[4].project_id: must be a string (quote it)"]
    );
}

#[test]
fn base_url_must_be_an_absolute_http_url() {
    for url in [
        "api.openai.com/v1",
        "/v1",
        "ftp://example.com",
        "http://",
        "not a url",
        "",
    ] {
        let mut config = valid();
        config.providers[OPENAI].base_url = Some(url.to_owned());

        assert_eq!(
            fault_lines(&config),
            [
                "providers[0].base_url: must be an absolute http or https URL, such as \
              https://host:port/path"
            ],
            "{url:?}"
        );
    }

    let mut config = valid();
    config.providers[OPENAI].base_url = Some("http://localhost:8000/v1".to_owned());
    assert_eq!(fault_lines(&config), Vec::<String>::new());
}

#[test]
fn api_key_and_timeouts_must_not_be_empty_or_zero() {
    let mut config = valid();
    let openai = &mut config.providers[OPENAI];
    openai.api_key = Some(String::new());
    openai.connect_timeout_ms = Some(0);
    openai.timeout_ms = Some(0);

    assert_eq!(
        fault_lines(&config),
        [
            "providers[0].api_key: must not be empty when given",
            "providers[0].connect_timeout_ms: must be greater than 0",
            "providers[0].timeout_ms: must be greater than 0",
        ]
    );
}

#[test]
fn openai_needs_no_api_key() {
    let mut config = valid();
    config.providers[OPENAI].api_key = None;

    assert_eq!(fault_lines(&config), Vec::<String>::new());
}

#[test]
fn anthropic_needs_an_api_key_and_a_positive_default_max_tokens() {
    let mut config = valid();
    let anthropic = &mut config.providers[ANTHROPIC];
    anthropic.api_key = None;
    set_param(anthropic, "default_max_tokens", "0");

    assert_eq!(
        fault_lines(&config),
        [
            "providers[1].api_key: required for provider type anthropic",
            "providers[1].default_max_tokens: must be a positive integer, such as \"4096\" \
             (got \"0\")",
        ]
    );

    let anthropic = &mut config.providers[ANTHROPIC];
    anthropic.api_key = Some("sk-ant".to_owned());
    set_param(anthropic, "default_max_tokens", "lots");
    assert_eq!(fault_lines(&config).len(), 1);

    set_param(&mut config.providers[ANTHROPIC], "default_max_tokens", "");
    assert_eq!(
        fault_lines(&config),
        Vec::<String>::new(),
        "empty is the default"
    );
}

#[test]
fn azure_needs_an_endpoint_and_an_api_version() {
    let mut config = valid();
    config.providers[AZURE].params.clear();

    assert_eq!(
        fault_lines(&config),
        [
            "providers[2]: provider type azure needs `resource_name` or `base_url`",
            "providers[2].api_version: required for provider type azure",
        ]
    );

    let azure = &mut config.providers[AZURE];
    azure.base_url = Some("https://my-resource.openai.azure.com".to_owned());
    set_param(azure, "api_version", "2024-10-21");
    assert_eq!(fault_lines(&config), Vec::<String>::new());
}

#[test]
fn azure_takes_a_key_or_an_entra_token_but_not_both() {
    let mut config = valid();
    config.providers[AZURE].api_key = None;
    assert_eq!(
        fault_lines(&config),
        ["providers[2]: provider type azure needs `api_key` or `azure_ad_token`"]
    );

    set_param(&mut config.providers[AZURE], "azure_ad_token", "eyJ0eXAi");
    assert_eq!(fault_lines(&config), Vec::<String>::new());

    config.providers[AZURE].api_key = Some("az-key".to_owned());
    assert_eq!(
        fault_lines(&config),
        ["providers[2].azure_ad_token: give `api_key` or `azure_ad_token`, not both"]
    );
}

#[test]
fn bedrock_needs_a_region_or_base_url() {
    let mut config = valid();
    config.providers[BEDROCK].params.remove("region");

    assert_eq!(
        fault_lines(&config),
        ["providers[3]: provider type bedrock needs `region` or `base_url`"]
    );

    config.providers[BEDROCK].base_url =
        Some("https://bedrock-runtime.us-east-1.amazonaws.com".to_owned());
    assert_eq!(fault_lines(&config), Vec::<String>::new());
}

#[test]
fn bedrock_static_keys_come_in_pairs() {
    let mut config = valid();
    config.providers[BEDROCK]
        .params
        .remove("aws_secret_access_key");

    assert_eq!(
        fault_lines(&config),
        [
            "providers[3]: `aws_access_key_id` and `aws_secret_access_key` go together: give \
             both, or neither to use the AWS credential chain"
        ]
    );
}

#[test]
fn bedrock_accepts_either_spelling_of_its_keys() {
    let mut config = valid();
    let bedrock = &mut config.providers[BEDROCK];
    bedrock.params.remove("aws_secret_access_key");
    set_param(bedrock, "AWS_SECRET_ACCESS_KEY", "secret");
    set_param(bedrock, "AWS_SESSION_TOKEN", "token");

    assert_eq!(fault_lines(&config), Vec::<String>::new());
}

#[test]
fn bedrock_refuses_both_spellings_of_one_key() {
    let mut config = valid();
    set_param(
        &mut config.providers[BEDROCK],
        "AWS_ACCESS_KEY_ID",
        "AKIAOTHER",
    );

    assert_eq!(
        fault_lines(&config),
        [
            "providers[3].AWS_ACCESS_KEY_ID: give `aws_access_key_id` or `AWS_ACCESS_KEY_ID`, \
             not both"
        ]
    );
}

#[test]
fn bedrock_without_keys_uses_the_credential_chain() {
    let mut config = valid();
    let bedrock = &mut config.providers[BEDROCK];
    bedrock.params.remove("aws_access_key_id");
    bedrock.params.remove("aws_secret_access_key");
    assert_eq!(fault_lines(&config), Vec::<String>::new());

    set_param(&mut config.providers[BEDROCK], "aws_session_token", "token");
    assert_eq!(
        fault_lines(&config),
        [
            "providers[3].aws_session_token: only meaningful with `aws_access_key_id` and \
             `aws_secret_access_key`"
        ]
    );
}

#[test]
fn an_empty_optional_setting_counts_as_absent() {
    let mut config = valid();
    let bedrock = &mut config.providers[BEDROCK];
    set_param(bedrock, "aws_access_key_id", "");
    set_param(bedrock, "aws_secret_access_key", "");

    assert_eq!(fault_lines(&config), Vec::<String>::new());
}

#[test]
fn vertex_needs_project_location_and_credentials() {
    let mut config = valid();
    config.providers[VERTEX].params.clear();

    assert_eq!(
        fault_lines(&config),
        [
            "providers[4].project_id: required for provider type vertexai",
            "providers[4].location: required for provider type vertexai",
            "providers[4]: provider type vertexai needs `credentials_path`, `credentials_json` \
             or `api_key`",
        ]
    );

    let vertex = &mut config.providers[VERTEX];
    set_param(vertex, "project_id", "my-project");
    set_param(vertex, "location", "europe-west4");
    vertex.api_key = Some("vertex-key".to_owned());
    assert_eq!(fault_lines(&config), Vec::<String>::new());
}

#[test]
fn vertex_takes_one_kind_of_credentials() {
    let mut config = valid();
    config.providers[VERTEX].params.remove("credentials_path");
    set_param(
        &mut config.providers[VERTEX],
        "credentials_json",
        r#"{"type": "service_account"}"#,
    );
    assert_eq!(fault_lines(&config), Vec::<String>::new());

    config.providers[VERTEX].api_key = Some("vertex-key".to_owned());
    assert_eq!(
        fault_lines(&config),
        [
            "providers[4]: give one of `credentials_path`, `credentials_json` or `api_key`, not \
             several"
        ]
    );
}

#[test]
fn model_keys_types_and_providers_are_checked() {
    let mut config = valid();
    config.models[0].key = String::new();
    config.models[1].model_type = String::new();
    config.models[2].key = "claude".to_owned();
    config.models[3].provider = "anthropc".to_owned();
    config.models[4].provider = String::new();

    assert_eq!(
        fault_lines(&config),
        [
            "models[0].key: must not be empty",
            "models[1].type: must not be empty",
            "models[3].provider: no provider named \"anthropc\"",
            "models[4].provider: must not be empty",
            "models[2].key: \"claude\" is already used at models[1].key",
            "pipelines[0].plugins[2].model-router.models[0]: no model named \"gpt-4o\"",
            "pipelines[0].plugins[2].model-router.models[2]: no model named \"azure-gpt-4o\"",
            "pipelines[1].plugins[0].model-router.models[0]: no model named \"gpt-4o\"",
        ]
    );
}

#[test]
fn an_azure_model_needs_a_deployment() {
    let mut config = valid();
    config.models[2].params.clear();

    assert_eq!(
        fault_lines(&config),
        ["models[2].deployment: required for a model of azure provider \"azure\""]
    );

    config.models[2]
        .params
        .insert("deployment".to_owned(), json!(["gpt-4o"]));
    assert_eq!(
        fault_lines(&config),
        ["models[2].deployment: must be a string (quote it)"]
    );

    config.models[2]
        .params
        .insert("deployment".to_owned(), json!("gpt-4o/../keys"));
    assert_eq!(
        fault_lines(&config),
        [
            "models[2].deployment: may hold only letters, digits, `-`, `_` and `.`, and is not `.` \
          or `..`"
        ]
    );
}

#[test]
fn an_unknown_model_setting_is_a_fault() {
    let mut config = valid();
    config.models[0]
        .params
        .insert("deployment".to_owned(), json!("gpt-4o"));
    config.models[2]
        .params
        .insert("max_tokens".to_owned(), json!(100));

    assert_eq!(
        fault_lines(&config),
        [
            "models[0].deployment: unknown field for a model of provider type openai; expected \
             one of `key`, `type`, `provider`, `timeout_ms` or `first_byte_timeout_ms`",
            "models[2].max_tokens: unknown field for a model of provider type azure; expected \
             one of `key`, `type`, `provider`, `timeout_ms`, `first_byte_timeout_ms` or \
             `deployment`",
        ]
    );
}

#[test]
fn pipeline_names_are_present_and_unique() {
    let mut config = valid();
    config.pipelines[0].name = String::new();
    config.pipelines.push(config.pipelines[1].clone());

    assert_eq!(
        fault_lines(&config),
        [
            "pipelines[0].name: must not be empty",
            "pipelines[2].name: \"embeddings\" is already used at pipelines[1].name",
        ]
    );
}

#[test]
fn a_pipeline_has_at_most_one_plugin_of_each_kind() {
    let mut config = valid();
    let second = PluginConfig::Logging(LoggingConfig {
        level: LogLevel::Warn,
    });
    config.pipelines[0].plugins.push(second);

    assert_eq!(
        fault_lines(&config),
        [
            "pipelines[0].plugins[3]: a second `logging` plugin (the first is plugins[0]); a \
             pipeline has at most one of each kind"
        ]
    );
}

#[test]
fn a_pipeline_needs_a_model_router() {
    let mut config = valid();
    config.pipelines[1].plugins.clear();

    assert_eq!(
        fault_lines(&config),
        ["pipelines[1]: no `model-router` plugin; a pipeline cannot serve requests without one"]
    );
}

#[test]
fn router_models_exist_and_do_not_repeat() {
    let mut config = valid();
    router(&mut config).models = ["gpt-4o", "gpt-5", "gpt-4o"].map(String::from).to_vec();

    assert_eq!(
        fault_lines(&config),
        [
            "pipelines[0].plugins[2].model-router.models[1]: no model named \"gpt-5\"",
            "pipelines[0].plugins[2].model-router.models[2]: \"gpt-4o\" is already used at \
             pipelines[0].plugins[2].model-router.models[0]",
        ]
    );
}

#[test]
fn a_router_names_at_least_one_model() {
    let mut config = valid();
    router(&mut config).models.clear();

    assert_eq!(
        fault_lines(&config),
        ["pipelines[0].plugins[2].model-router.models: must name at least one model"]
    );
}

#[test]
fn tracing_needs_an_http_endpoint_and_valid_headers() {
    let mut config = valid();
    let PluginConfig::Tracing(tracing) = &mut config.pipelines[0].plugins[1] else {
        panic!("expected the tracing plugin");
    };
    tracing.endpoint = "collector:4318".to_owned();
    tracing.api_key = Some(String::new());
    tracing.headers = BTreeMap::from([
        ("bad name".to_owned(), "v".to_owned()),
        ("x-ok".to_owned(), "line\nbreak".to_owned()),
    ]);

    assert_eq!(
        fault_lines(&config),
        [
            "pipelines[0].plugins[1].tracing.endpoint: must be an absolute http or https URL, \
             such as https://host:port/path",
            "pipelines[0].plugins[1].tracing.api_key: must not be empty when given",
            "pipelines[0].plugins[1].tracing.headers.bad name: not a valid HTTP header name",
            "pipelines[0].plugins[1].tracing.headers.x-ok: not a valid HTTP header value",
        ]
    );
}

#[test]
fn every_fault_is_reported_together() {
    let mut config = valid();
    config.general.max_request_body_bytes = 0;
    set_param(&mut config.providers[OPENAI], "organisation_id", "org-1");
    config.models[0].provider = "opneai".to_owned();
    config.pipelines[1].plugins.clear();

    let error = validate(&config).unwrap_err();

    assert_eq!(
        error.to_string(),
        "general.max_request_body_bytes: must be between 1 and 1073741824\n\
         providers[0].organisation_id: unknown field for provider type openai; expected one of \
         `key`, `type`, `api_key`, `base_url`, `connect_timeout_ms`, `timeout_ms`, \
         `organization_id` or `project_id`\n\
         models[0].provider: no provider named \"opneai\"\n\
         pipelines[1]: no `model-router` plugin; a pipeline cannot serve requests without one"
    );
}

#[test]
fn router_options_are_checked() {
    let mut config = valid();
    config.models[0].timeout_ms = Some(0);
    let router = router(&mut config);
    router.weights.insert(router.models[0].clone(), 0);
    router.weights.insert("elsewhere".to_owned(), 2);
    router.retry.initial_backoff_ms = 10_000;
    router.retry.max_attempts = Some(0);
    router.ejection.cooldown_ms = 0;

    assert_eq!(
        fault_lines(&config),
        [
            "models[0].timeout_ms: must be greater than 0",
            "pipelines[0].plugins[2].model-router.weights: weights apply only to strategy \
             `weighted_random`, not `simple`",
            "pipelines[0].plugins[2].model-router.weights.elsewhere: not one of this router's \
             models",
            "pipelines[0].plugins[2].model-router.weights.gpt-4o: must be at least 1",
            "pipelines[0].plugins[2].model-router.retry.initial_backoff_ms: must not be greater \
             than max_backoff_ms",
            "pipelines[0].plugins[2].model-router.retry.max_attempts: must be at least 1",
            "pipelines[0].plugins[2].model-router.ejection.cooldown_ms: must be greater than 0 \
             while ejection is on",
        ]
    );
}

fn access_key(name: &str, key: Option<&str>, digest: Option<&str>) -> AccessKeyConfig {
    AccessKeyConfig {
        name: name.to_owned(),
        key: key.map(str::to_owned),
        key_sha256: digest.map(str::to_owned),
        enabled: true,
    }
}

const LONG_KEY: &str = "hub-0123456789abcdef0123456789abcdef";
const DIGEST: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

#[test]
fn access_keys_given_in_full_or_as_a_digest_are_valid() {
    let mut config = valid();
    config.general.access_keys = vec![
        access_key("ci", Some(LONG_KEY), None),
        access_key("team", None, Some(&DIGEST.to_ascii_uppercase())),
    ];

    assert_eq!(fault_lines(&config), Vec::<String>::new());
}

#[test]
fn access_key_faults_name_the_entry_and_never_the_key() {
    let mut config = valid();
    config.general.access_keys = vec![
        access_key("short", Some("hub-secret-but-short"), None),
        access_key(
            "",
            Some("hub key with spaces in it, long enough to pass"),
            None,
        ),
        access_key("short", None, Some("abc123")),
        access_key("neither", None, None),
        access_key("both", Some(LONG_KEY), Some(DIGEST)),
        access_key("empty", Some(""), None),
    ];

    let faults = fault_lines(&config);
    assert_eq!(
        faults,
        [
            "general.access_keys[0].key: is shorter than 32 characters; make one with \
             `openssl rand -hex 32`",
            "general.access_keys[1].name: must not be empty",
            "general.access_keys[1].key: may hold only visible ASCII characters, without spaces",
            "general.access_keys[2].key_sha256: must be a SHA-256 digest: 64 hexadecimal \
             digits, as `sha256sum` prints",
            "general.access_keys[3]: give `key` or `key_sha256`",
            "general.access_keys[4].key_sha256: give `key` or `key_sha256`, not both",
            "general.access_keys[5].key: must not be empty",
            "general.access_keys[2].name: \"short\" is already used at \
             general.access_keys[0].name",
        ]
    );
    assert!(!faults.iter().any(|fault| fault.contains("secret")));
}

#[test]
fn one_key_under_two_names_is_a_fault() {
    let mut config = valid();
    config.general.access_keys = vec![
        access_key("first", Some(LONG_KEY), None),
        access_key("second", Some(LONG_KEY), None),
        access_key("third", None, Some(DIGEST)),
        access_key("fourth", None, Some(&DIGEST.to_ascii_uppercase())),
    ];

    assert_eq!(
        fault_lines(&config),
        [
            "general.access_keys[1].key: the same key as general.access_keys[0]",
            "general.access_keys[3].key_sha256: the same key as general.access_keys[2]",
        ]
    );
}
