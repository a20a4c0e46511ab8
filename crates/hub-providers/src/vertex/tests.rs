//! Building the provider: hosts, URLs and credentials from the configuration.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;
use crate::ClientSettings;

fn config(settings: Value) -> ProviderConfig {
    let mut config = json!({"key": "vertex", "type": "vertexai", "project_id": "my-project",
                            "location": "europe-west4", "api_key": "k"});
    config
        .as_object_mut()
        .unwrap()
        .extend(settings.as_object().unwrap().clone());
    serde_json::from_value(config).unwrap()
}

fn build(settings: Value) -> Result<VertexProvider, BuildError> {
    let client = HttpClient::new(&ClientSettings {
        connect_timeout: Duration::from_secs(1),
        limits: crate::UpstreamLimits::default(),
    })
    .unwrap();
    VertexProvider::new(&config(settings), client)
}

fn model(model_type: &str) -> ModelConfig {
    ModelConfig {
        key: "gemini".to_owned(),
        model_type: model_type.to_owned(),
        provider: "vertex".to_owned(),
        timeout_ms: None,
        first_byte_timeout_ms: None,
        params: BTreeMap::new(),
    }
}

#[test]
fn urls_follow_the_location_host_and_the_model() {
    let vertex = build(json!({})).unwrap();

    let url = vertex.url(&model("gemini-2.5-flash"), "streamGenerateContent?alt=sse");

    assert_eq!(
        url.unwrap().to_string(),
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/my-project/locations/\
         europe-west4/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
}

#[test]
fn the_global_location_has_its_own_host_and_base_url_replaces_it() {
    let global = build(json!({"location": "global", "project_id": "example.com:proj"})).unwrap();
    assert_eq!(
        global
            .url(&model("gemini-2.0-flash-001"), "predict")
            .unwrap()
            .to_string(),
        "https://aiplatform.googleapis.com/v1/projects/example.com:proj/locations/global/\
         publishers/google/models/gemini-2.0-flash-001:predict"
    );

    let private = build(json!({"base_url": "http://127.0.0.1:9/"})).unwrap();
    assert!(
        private
            .url(&model("m"), "predict")
            .unwrap()
            .to_string()
            .starts_with("http://127.0.0.1:9/v1/projects/my-project/")
    );
}

#[test]
fn settings_that_would_change_the_url_are_refused() {
    assert!(build(json!({"project_id": "a/b"})).is_err());
    assert!(build(json!({"location": "us central"})).is_err());

    let vertex = build(json!({})).unwrap();
    assert!(vertex.url(&model("gemini/../../x"), "predict").is_err());
    assert!(vertex.url(&model(""), "predict").is_err());
}

#[test]
fn a_missing_key_file_stops_the_build_naming_the_setting() {
    let error = build(json!({"api_key": null, "credentials_path": "/nonexistent/key.json"}))
        .unwrap_err()
        .to_string();

    assert!(
        error.starts_with("credentials_path: cannot read /nonexistent/key.json"),
        "{error}"
    );
}

#[test]
fn an_api_key_is_a_sensitive_header() {
    let vertex = build(json!({"api_key": "AIza-secret"})).unwrap();

    let Credentials::ApiKey(key) = &vertex.credentials else {
        panic!("an API key was configured");
    };
    assert_eq!(key, "AIza-secret");
    assert!(key.is_sensitive());
    assert!(!format!("{vertex:?}").contains("AIza-secret"));
}
