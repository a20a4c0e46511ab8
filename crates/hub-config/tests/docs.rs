//! Keeps `docs/configuration.md` in step with the configuration model: every field, every
//! type-specific setting and every named value must be documented, and the page's full
//! example must load.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use hub_core::config::{
    AccessKeyConfig, EjectionConfig, GeneralConfig, HubConfig, LogLevel, LoggingConfig,
    ModelConfig, ModelRouterConfig, PipelineConfig, PipelineType, PluginConfig, ProviderConfig,
    ProviderType, RetryConfig, RouterStrategy, TracingConfig,
};
use serde::Serialize;
use serde_json::{Value, json};

fn page() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Every provider type. The match has no wildcard arm, so a new type fails to compile here
/// until it is listed.
fn provider_types() -> Vec<ProviderType> {
    use ProviderType::*;
    let all = [OpenAi, Anthropic, Azure, Bedrock, VertexAi];
    for provider_type in all {
        match provider_type {
            OpenAi | Anthropic | Azure | Bedrock | VertexAi => {}
        }
    }
    all.to_vec()
}

fn pipeline_types() -> Vec<PipelineType> {
    use PipelineType::*;
    let all = [Chat, Completion, Embeddings];
    for pipeline_type in all {
        match pipeline_type {
            Chat | Completion | Embeddings => {}
        }
    }
    all.to_vec()
}

fn log_levels() -> Vec<LogLevel> {
    use LogLevel::*;
    let all = [Trace, Debug, Info, Warn, Error];
    for level in all {
        match level {
            Trace | Debug | Info | Warn | Error => {}
        }
    }
    all.to_vec()
}

fn router_strategies() -> Vec<RouterStrategy> {
    use RouterStrategy::*;
    let all = [Simple, OrderedFallback, WeightedRandom, LeastLatency];
    for strategy in all {
        match strategy {
            Simple | OrderedFallback | WeightedRandom | LeastLatency => {}
        }
    }
    all.to_vec()
}

/// One plugin of each kind, every field set.
fn plugins() -> Vec<PluginConfig> {
    let all = vec![
        PluginConfig::Logging(LoggingConfig {
            level: LogLevel::Info,
        }),
        PluginConfig::Tracing(TracingConfig {
            endpoint: "http://collector:4318".to_owned(),
            api_key: Some("collector-key".to_owned()),
            headers: BTreeMap::from([("x-team".to_owned(), "platform".to_owned())]),
        }),
        PluginConfig::ModelRouter(ModelRouterConfig {
            models: vec!["model".to_owned()],
            strategy: RouterStrategy::WeightedRandom,
            weights: BTreeMap::from([("model".to_owned(), 2)]),
            retry: RetryConfig {
                max_retries: 1,
                initial_backoff_ms: 1,
                max_backoff_ms: 1,
                max_attempts: Some(1),
                max_elapsed_ms: 1,
            },
            ejection: EjectionConfig {
                consecutive_failures: 1,
                cooldown_ms: 1,
            },
        }),
    ];
    for plugin in &all {
        match plugin {
            PluginConfig::Logging(_) | PluginConfig::Tracing(_) | PluginConfig::ModelRouter(_) => {}
        }
    }
    all
}

fn settings(names: &[&str]) -> BTreeMap<String, Value> {
    names
        .iter()
        .map(|name| ((*name).to_owned(), json!("value")))
        .collect()
}

/// A configuration with every field set, written as struct literals so that a new field
/// fails to compile here until it is given a value, and then must be documented.
fn every_field() -> HubConfig {
    let providers = provider_types()
        .into_iter()
        .map(|provider_type| ProviderConfig {
            key: provider_type.as_str().to_owned(),
            provider_type,
            api_key: Some("key".to_owned()),
            base_url: Some("https://example.com".to_owned()),
            connect_timeout_ms: Some(1),
            timeout_ms: Some(1),
            params: settings(provider_type.known_params()),
        });
    let models = provider_types()
        .into_iter()
        .map(|provider_type| ModelConfig {
            key: format!("{provider_type}-model"),
            model_type: "model".to_owned(),
            provider: provider_type.as_str().to_owned(),
            timeout_ms: Some(1),
            first_byte_timeout_ms: Some(1),
            params: settings(provider_type.known_model_params()),
        });

    HubConfig {
        general: GeneralConfig {
            trace_content_enabled: true,
            max_request_body_bytes: 1,
            access_keys: vec![AccessKeyConfig {
                name: "client".to_owned(),
                key: Some("key".to_owned()),
                key_sha256: Some("digest".to_owned()),
                enabled: false,
            }],
            max_header_bytes: 1,
            max_headers: 1,
            max_messages: 1,
            max_input_items: 1,
            max_connections: 1,
            max_concurrent_requests: 1,
            max_buffered_body_bytes: 1,
            header_read_timeout_ms: 1,
            request_body_timeout_ms: 1,
            idle_timeout_ms: 1,
            http2_max_concurrent_streams: 1,
            max_upstream_response_bytes: 1,
            max_upstream_event_bytes: 1,
            max_upstream_stream_bytes: 1,
            max_upstream_stream_seconds: 1,
        },
        providers: providers.collect(),
        models: models.collect(),
        pipelines: vec![PipelineConfig {
            name: "default".to_owned(),
            pipeline_type: PipelineType::Chat,
            plugins: plugins(),
        }],
    }
}

/// The names of every mapping key in `value`, leaving out the keys of free-form maps.
fn field_names(value: &Value, names: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (name, child) in map {
                names.insert(name.clone());
                if name != "headers" {
                    field_names(child, names);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| field_names(item, names)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

fn name_of(value: impl Serialize) -> String {
    match serde_json::to_value(value).expect("a named value serializes to JSON") {
        Value::String(name) => name,
        other => panic!("expected a name, found {other}"),
    }
}

fn undocumented(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let page = page();
    names
        .into_iter()
        .filter(|name| !page.contains(&format!("`{name}`")))
        .collect()
}

#[test]
fn every_field_is_documented() {
    let mut names = BTreeSet::new();
    field_names(&serde_json::to_value(every_field()).unwrap(), &mut names);

    assert!(names.contains("aws_session_token") && names.contains("deployment"));
    assert_eq!(undocumented(names), Vec::<String>::new());
}

#[test]
fn every_type_specific_setting_is_documented() {
    let settings = provider_types().into_iter().flat_map(|provider_type| {
        let provider = provider_type.known_params().iter();
        provider
            .chain(provider_type.known_model_params())
            .map(|name| (*name).to_owned())
    });

    assert_eq!(undocumented(settings), Vec::<String>::new());
}

#[test]
fn every_named_value_is_documented() {
    let mut values: Vec<String> = Vec::new();
    values.extend(provider_types().into_iter().map(name_of));
    values.extend(pipeline_types().into_iter().map(name_of));
    values.extend(log_levels().into_iter().map(name_of));
    values.extend(router_strategies().into_iter().map(name_of));

    assert_eq!(undocumented(values), Vec::<String>::new());
}

#[test]
fn every_provider_type_has_a_section() {
    let page = page();
    let missing: Vec<&str> = provider_types()
        .into_iter()
        .map(ProviderType::as_str)
        .filter(|name| !page.contains(&format!("#### `{name}`")))
        .collect();

    assert_eq!(missing, Vec::<&str>::new());
}

#[test]
fn every_environment_variable_is_documented() {
    let variables = [
        "HUB_MODE",
        "CONFIG_FILE_PATH",
        "DATABASE_URL",
        "DB_POLL_INTERVAL_SECONDS",
        "PORT",
        "MANAGEMENT_PORT",
        "TRACE_CONTENT_ENABLED",
        "HOST",
        "RUST_LOG",
        "HUB_MAX_REQUEST_BODY_BYTES",
        "HUB_MAX_HEADER_BYTES",
        "HUB_MAX_HEADERS",
        "HUB_MAX_MESSAGES",
        "HUB_MAX_INPUT_ITEMS",
        "HUB_MAX_CONNECTIONS",
        "HUB_MAX_CONCURRENT_REQUESTS",
        "HUB_HEADER_READ_TIMEOUT_MS",
        "HUB_REQUEST_BODY_TIMEOUT_MS",
        "HUB_IDLE_TIMEOUT_MS",
        "HUB_HTTP2_MAX_CONCURRENT_STREAMS",
        "HUB_MAX_UPSTREAM_RESPONSE_BYTES",
        "HUB_MAX_UPSTREAM_EVENT_BYTES",
        "HUB_MAX_UPSTREAM_STREAM_BYTES",
        "HUB_MAX_UPSTREAM_STREAM_SECONDS",
    ];

    assert_eq!(
        undocumented(variables.map(String::from)),
        Vec::<String>::new()
    );
}

#[test]
fn the_full_example_loads() {
    let page = page();
    let (_, after) = page
        .split_once("## Full example")
        .expect("a full example section");
    let (_, block) = after.split_once("```yaml\n").expect("a YAML block");
    let (yaml, _) = block.split_once("```").expect("the end of the YAML block");
    let env: BTreeMap<String, String> = [
        "OPENAI_API_KEY",
        "OPENAI_ORG_ID",
        "ANTHROPIC_API_KEY",
        "AZURE_OPENAI_API_KEY",
        "COLLECTOR_API_KEY",
        "HUB_CI_KEY",
    ]
    .into_iter()
    .map(|name| {
        (
            name.to_owned(),
            format!("{name}-value-long-enough-for-an-access-key"),
        )
    })
    .collect();

    let config = hub_config::load_str(yaml, &env).unwrap_or_else(|error| panic!("{error}"));

    assert_eq!(config.providers.len(), provider_types().len() + 1);
    assert_eq!(config.pipelines[0].plugins.len(), plugins().len());
}
