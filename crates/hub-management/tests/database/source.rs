//! The gateway's side: the rows read back as the very configuration a YAML file with the
//! same content yields, credentials resolved, disabled rows left out, and faults named.

use std::collections::BTreeMap;
use std::sync::Arc;

use hub_management::{DatabaseSource, Keyring, SourceError};
use serde_json::json;

use crate::common::{Admin, KEY, NEW_KEY, id, model};

fn source(admin: &Admin, key: &str, env: &[(&str, &str)]) -> DatabaseSource {
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let keyring = Keyring::new(key, &[]).expect("a keyring");
    DatabaseSource::new(admin.database.clone(), Arc::new(keyring), Box::new(env))
}

const SAME_AS_YAML: &str = r#"
providers:
  - key: openai
    type: openai
    api_key: sk-literal
    organization_id: org-1
  - key: anthropic
    type: anthropic
    api_key: sk-ant-named
  - key: local
    type: openai
    api_key: sk-from-env
    base_url: http://vllm:8000/v1
    timeout_ms: 5000
models:
  - { key: gpt-4o, type: gpt-4o, provider: openai }
  - { key: sonnet, type: claude-sonnet-4-5, provider: anthropic, first_byte_timeout_ms: 900 }
  - { key: llama, type: llama-3, provider: local }
pipelines:
  - name: default
    type: chat
    plugins:
      - tracing: { endpoint: "http://collector:4318", api_key: collector-key }
      - model-router: { models: [gpt-4o, sonnet], strategy: ordered_fallback }
  - name: local
    type: chat
    plugins:
      - model-router: { models: [llama] }
"#;

async fn fill_like_the_yaml(admin: &Admin) {
    admin
        .create(
            "secrets",
            &json!({"name": "anthropic", "value": "sk-ant-named"}),
        )
        .await;
    let literal = |value: &str| json!({"type": "literal", "value": value});
    let providers = [
        json!({"name": "openai", "provider_type": "openai",
               "config": {"api_key": literal("sk-literal"), "organization_id": "org-1"}}),
        json!({"name": "anthropic", "provider_type": "anthropic",
               "config": {"api_key": {"type": "secret", "name": "anthropic"}}}),
        json!({"name": "local", "provider_type": "openai", "config": {
               "api_key": {"type": "environment", "variable_name": "LOCAL_KEY"},
               "base_url": "http://vllm:8000/v1", "timeout_ms": 5000}}),
    ];
    let mut ids = Vec::new();
    for provider in providers {
        ids.push(id(&admin.create("providers", &provider).await));
    }

    admin
        .create("model-definitions", &model("gpt-4o", "gpt-4o", &ids[0]))
        .await;
    let mut sonnet = model("sonnet", "claude-sonnet-4-5", &ids[1]);
    sonnet["config"] = json!({"first_byte_timeout_ms": 900});
    admin.create("model-definitions", &sonnet).await;
    admin
        .create("model-definitions", &model("llama", "llama-3", &ids[2]))
        .await;

    let default = json!({"name": "default", "pipeline_type": "chat", "plugins": [
        {"plugin_type": "model-router", "order_in_pipeline": 2, "config_data":
            {"models": ["gpt-4o", "sonnet"], "strategy": "ordered_fallback"}},
        {"plugin_type": "tracing", "order_in_pipeline": 1, "config_data":
            {"endpoint": "http://collector:4318", "api_key": literal("collector-key")}},
        {"plugin_type": "logging", "enabled": false},
    ]});
    admin.create("pipelines", &default).await;
    let local = json!({"name": "local", "pipeline_type": "chat", "plugins": [
        {"plugin_type": "model-router", "config_data": {"models": ["llama"]}}]});
    admin.create("pipelines", &local).await;
}

#[tokio::test]
async fn the_database_yields_what_the_same_yaml_yields() {
    let admin = Admin::start().await;
    fill_like_the_yaml(&admin).await;
    let env = [("LOCAL_KEY", "sk-from-env")];

    let loaded = source(&admin, KEY, &env)
        .load()
        .await
        .expect("a valid config");

    let yaml = hub_config::load_str(SAME_AS_YAML, &BTreeMap::new()).expect("the YAML loads");
    assert_eq!(loaded.config, yaml);
    assert!(loaded.revision > 1);
    admin.stop().await;
}

#[tokio::test]
async fn disabled_rows_are_left_out() {
    let admin = Admin::start().await;
    let seeded = admin.seed().await;
    let spare = admin
        .create(
            "providers",
            &json!({"name": "spare", "provider_type": "openai",
                                     "enabled": false}),
        )
        .await;
    admin
        .create(
            "model-definitions",
            &json!({"key": "off", "model_type": "x",
                                            "provider_id": id(&spare), "enabled": false}),
        )
        .await;
    let mut pipeline = crate::common::chat_pipeline("off", &["gpt-4o"]);
    pipeline["enabled"] = json!(false);
    admin.create("pipelines", &pipeline).await;

    let config = source(&admin, KEY, &[]).load().await.expect("valid").config;

    let names = |items: Vec<&str>| items.join(",");
    assert_eq!(
        names(config.providers.iter().map(|p| p.key.as_str()).collect()),
        "openai"
    );
    assert_eq!(
        names(config.models.iter().map(|m| m.key.as_str()).collect()),
        "gpt-4o"
    );
    assert_eq!(
        names(config.pipelines.iter().map(|p| p.name.as_str()).collect()),
        "default"
    );
    assert_eq!(config.pipelines[0].plugins.len(), 2);
    assert!(!seeded.pipeline.is_empty());
    admin.stop().await;
}

#[tokio::test]
async fn what_only_the_gateway_can_resolve_is_reported_with_its_resource() {
    let admin = Admin::start().await;
    fill_like_the_yaml(&admin).await;

    let unset = source(&admin, KEY, &[]).load().await.unwrap_err();
    let SourceError::Invalid { faults, .. } = &unset else {
        panic!("{unset}");
    };
    let lines: Vec<String> = faults.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [r#"provider "local" config.api_key: environment variable LOCAL_KEY is not set"#]
    );

    let wrong_key = source(&admin, NEW_KEY, &[("LOCAL_KEY", "k")])
        .load()
        .await
        .unwrap_err();
    let message = wrong_key.to_string();
    assert!(
        message.contains(r#"provider "openai" config.api_key: sealed under key"#),
        "{message}"
    );
    assert!(message.contains(r#"secret "anthropic""#), "{message}");
    assert!(!message.contains("sk-"), "{message}");
    admin.stop().await;
}
