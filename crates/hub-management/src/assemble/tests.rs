//! Tests of assembling rows into the configuration model, and of naming hub-config's faults
//! in the API's terms.

use std::collections::BTreeMap;

use chrono::DateTime;
use hub_core::config::{PluginConfig, ProviderType, RouterStrategy};
use serde_json::json;

use super::*;
use crate::rows::{PluginRow, SecretRow};

fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn provider(n: u128, name: &str, kind: &str, config: Value) -> ProviderRow {
    ProviderRow {
        id: uuid(n),
        name: name.to_owned(),
        provider_type: kind.to_owned(),
        config,
        enabled: true,
        version: 1,
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
    }
}

fn model(n: u128, key: &str, provider: u128, config: Value) -> ModelRow {
    ModelRow {
        id: uuid(n),
        key: key.to_owned(),
        model_type: key.to_owned(),
        provider_id: uuid(provider),
        config,
        enabled: true,
        version: 1,
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
    }
}

fn pipeline(n: u128, name: &str) -> PipelineRow {
    PipelineRow {
        id: uuid(n),
        name: name.to_owned(),
        pipeline_type: "chat".to_owned(),
        description: None,
        enabled: true,
        version: 1,
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
    }
}

fn plugin(pipeline: u128, position: i32, kind: &str, data: Value, order: i32) -> PluginRow {
    PluginRow {
        pipeline_id: uuid(pipeline),
        position,
        plugin_type: kind.to_owned(),
        config_data: data,
        order_in_pipeline: order,
        enabled: true,
    }
}

/// A provider, a model on it, and a pipeline routing to the model.
fn rows() -> ConfigRows {
    let environment = json!({"type": "environment", "variable_name": "KEY"});
    ConfigRows {
        revision: 7,
        secrets: Vec::<SecretRow>::new(),
        providers: vec![provider(
            1,
            "openai",
            "openai",
            json!({"api_key": environment}),
        )],
        models: vec![model(2, "gpt-4o", 1, json!({"timeout_ms": 1000}))],
        pipelines: vec![pipeline(3, "default")],
        plugins: vec![
            plugin(3, 0, "model-router", json!({"models": ["gpt-4o"]}), 5),
            plugin(3, 1, "logging", json!({"level": "debug"}), 1),
        ],
        api_keys: Vec::new(),
    }
}

fn check(rows: &ConfigRows) -> Result<HubConfig, Vec<Fault>> {
    let references = CheckReferences {
        secret_names: vec![],
    };
    assemble(rows, &references, &BTreeMap::<String, String>::new())
}

fn lines(faults: &[Fault]) -> Vec<String> {
    faults.iter().map(ToString::to_string).collect()
}

#[test]
fn lays_rows_out_as_a_file_would() {
    let config = check(&rows()).unwrap();

    assert_eq!(config.providers[0].key, "openai");
    assert_eq!(config.providers[0].provider_type, ProviderType::OpenAi);
    assert_eq!(config.providers[0].api_key.as_deref(), Some(PLACEHOLDER));
    assert_eq!(config.models[0].provider, "openai");
    assert_eq!(config.models[0].timeout_ms, Some(1000));
    // Plugins run in order_in_pipeline order, whatever order they were listed in.
    let plugins = &config.pipelines[0].plugins;
    assert!(matches!(plugins[0], PluginConfig::Logging(_)));
    assert!(matches!(plugins[1], PluginConfig::ModelRouter(_)));
    assert_eq!(
        config.pipelines[0]
            .model_router()
            .map(|router| router.strategy),
        Some(RouterStrategy::Simple)
    );
}

#[test]
fn names_each_fault_by_resource_and_field() {
    let mut rows = rows();
    rows.providers[0].config["base_url"] = json!("not a url");
    rows.providers[0].config["key"] = json!("shadow");
    rows.models[0].config["deployment"] = json!("d");
    rows.plugins[0].config_data = json!({"models": ["gpt-4o", "gpt-5"]});

    let faults = check(&rows).unwrap_err();

    assert_eq!(
        lines(&faults),
        [
            r#"provider "openai" config.key: not a setting; it is the resource's `name`"#,
            concat!(
                r#"provider "openai" config.base_url: must be an absolute http or https URL, "#,
                "such as https://host:port/path"
            ),
            concat!(
                r#"model definition "gpt-4o" config.deployment: unknown field for a model of "#,
                "provider type openai; expected one of `key`, `type`, `provider`, `timeout_ms` ",
                "or `first_byte_timeout_ms`"
            ),
            r#"pipeline "default" plugins[0].config_data.models[1]: no model named "gpt-5""#,
        ]
    );
}

#[test]
fn a_disabled_provider_or_model_is_named_as_such() {
    let mut rows = rows();
    rows.providers[0].enabled = false;
    assert_eq!(
        lines(&check(&rows).unwrap_err()),
        [
            r#"model definition "gpt-4o" provider_id: provider "openai" is disabled; disable this model too, or enable it"#
        ]
    );

    let mut rows = self::rows();
    rows.models[0].enabled = false;
    assert_eq!(
        lines(&check(&rows).unwrap_err()),
        [r#"pipeline "default" plugins[0].config_data.models[0]: model "gpt-4o" is disabled"#]
    );
}

#[test]
fn a_credential_naming_a_missing_secret_is_a_fault() {
    let mut rows = rows();
    rows.providers[0].config = json!({"api_key": {"type": "secret", "name": "gone"}});

    assert_eq!(
        lines(&check(&rows).unwrap_err()),
        [r#"provider "openai" config.api_key: no secret named "gone""#]
    );
}

#[test]
fn a_settings_column_that_is_not_an_object_is_a_fault() {
    let mut rows = rows();
    rows.models[0].config = json!([1, 2]);

    assert_eq!(
        lines(&check(&rows).unwrap_err()),
        [r#"model definition "gpt-4o" config: must be a JSON object"#]
    );
}

#[test]
fn maps_paths_of_the_laid_out_tree() {
    assert_eq!(
        split_entry("models[2].provider"),
        Some(("models", 2, "provider"))
    );
    assert_eq!(split_entry("pipelines[0]"), Some(("pipelines", 0, "")));
    assert_eq!(split_entry("general.max_request_body_bytes"), None);

    assert_eq!(provider_field("key"), "name");
    assert_eq!(provider_field("type"), "provider_type");
    assert_eq!(provider_field(""), "config");
    assert_eq!(provider_field("region"), "config.region");
    assert_eq!(model_field("provider"), "provider_id");
    assert_eq!(model_field("type"), "model_type");

    let positions = [4, 2];
    assert_eq!(pipeline_field("", &positions), "plugins");
    assert_eq!(pipeline_field("type", &positions), "pipeline_type");
    assert_eq!(pipeline_field("plugins[1]", &positions), "plugins[2]");
    assert_eq!(
        pipeline_field("plugins[0].model-router.retry.max_retries", &positions),
        "plugins[4].config_data.retry.max_retries"
    );
    assert_eq!(
        pipeline_field("plugins[1].model-router.models[3]", &positions),
        "plugins[2].config_data.models[3]"
    );
}

fn api_key(n: u128, name: &str, digest: [u8; 32], enabled: bool) -> ApiKeyRow {
    ApiKeyRow {
        id: uuid(n),
        name: name.to_owned(),
        key_prefix: "hub-abcdefgh".to_owned(),
        key_sha256: digest.to_vec(),
        enabled,
        version: 1,
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
    }
}

#[test]
fn api_keys_become_access_keys_by_digest_disabled_ones_included() {
    let mut rows = rows();
    rows.api_keys = vec![
        api_key(4, "ci", [0xab; 32], true),
        api_key(5, "retired", [0xcd; 32], false),
    ];

    let config = check(&rows).unwrap();

    let keys = &config.general.access_keys;
    let names: Vec<(&str, bool)> = keys.iter().map(|k| (k.name.as_str(), k.enabled)).collect();
    assert_eq!(names, [("ci", true), ("retired", false)]);
    assert_eq!(keys[0].key, None);
    assert_eq!(
        keys[0].key_sha256.as_deref(),
        Some("ab".repeat(32).as_str())
    );
}

#[test]
fn an_api_key_fault_names_the_key() {
    let mut rows = rows();
    rows.api_keys = vec![api_key(4, "", [0xab; 32], true)];

    let faults = check(&rows).unwrap_err();

    assert_eq!(lines(&faults), [r#"API key "" name: must not be empty"#]);
    assert!(
        faults[0]
            .resource
            .as_ref()
            .unwrap()
            .is(ResourceKind::ApiKey, uuid(4))
    );
}
