//! A Hub configuration loaded and checked with `hub-config`.

use std::collections::BTreeMap;

use embed_hub_core::config::chat_models;

const YAML: &str = r#"
providers:
  - key: openai
    type: openai
    api_key: ${OPENAI_API_KEY}
models:
  - key: gpt-4o
    type: gpt-4o
    provider: openai
  - key: embed
    type: text-embedding-3-small
    provider: openai
pipelines:
  - name: default
    type: chat
    plugins:
      - model-router: { models: [gpt-4o] }
  - name: embeddings
    type: embeddings
    plugins:
      - model-router: { models: [embed] }
"#;

#[test]
fn chat_pipelines_are_listed_with_their_models() {
    let env = BTreeMap::from([("OPENAI_API_KEY".to_owned(), "sk-test".to_owned())]);
    let models = chat_models(YAML, &env).unwrap();

    assert_eq!(
        models,
        BTreeMap::from([("default".to_owned(), vec!["gpt-4o".to_owned()])])
    );
}

#[test]
fn every_fault_is_reported_with_its_path() {
    let broken = YAML.replace(
        "provider: openai\n  - key: embed",
        "provider: opnai\n  - key: embed",
    );
    let error = chat_models(&broken, &BTreeMap::new()).unwrap_err();

    let faults: Vec<String> = error.faults().iter().map(ToString::to_string).collect();
    assert_eq!(
        faults,
        [
            "providers[0].api_key: environment variable OPENAI_API_KEY is not set",
            "models[0].provider: no provider named \"opnai\"",
        ]
    );
}
