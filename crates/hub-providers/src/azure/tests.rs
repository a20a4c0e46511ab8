//! Translation tests: the request Azure receives, its URLs and headers, and which of its
//! stream chunks reach the client.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::*;
use crate::ClientSettings;

fn config(settings: Value) -> ProviderConfig {
    let mut config = json!({"key": "azure", "type": "azure", "api_version": "2024-10-21"});
    config
        .as_object_mut()
        .unwrap()
        .extend(settings.as_object().unwrap().clone());
    serde_json::from_value(config).unwrap()
}

fn provider(settings: Value) -> AzureProvider {
    let client = HttpClient::new(&ClientSettings {
        connect_timeout: Duration::from_secs(1),
        limits: crate::UpstreamLimits::default(),
    })
    .unwrap();
    AzureProvider::new(&config(settings), client).unwrap()
}

fn model(deployment: &str) -> ModelConfig {
    ModelConfig {
        key: "azure-gpt-4o".to_owned(),
        model_type: "gpt-4o".to_owned(),
        provider: "azure".to_owned(),
        timeout_ms: None,
        first_byte_timeout_ms: None,
        params: BTreeMap::from([("deployment".to_owned(), json!(deployment))]),
    }
}

#[test]
fn urls_name_the_deployment_and_the_api_version() {
    let azure = provider(json!({"api_key": "k", "resource_name": "contoso"}));

    let url = azure
        .url(&model("gpt-4o-prod"), "chat/completions")
        .unwrap();

    assert_eq!(
        url.to_string(),
        "https://contoso.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?\
         api-version=2024-10-21"
    );
}

#[test]
fn base_url_replaces_the_resource_host() {
    let azure = provider(json!({"api_key": "k", "base_url": "http://127.0.0.1:9/"}));

    let url = azure.url(&model("embed"), "embeddings").unwrap();

    assert_eq!(
        url.to_string(),
        "http://127.0.0.1:9/openai/deployments/embed/embeddings?api-version=2024-10-21"
    );
}

#[test]
fn a_deployment_that_would_change_the_path_is_refused() {
    let azure = provider(json!({"api_key": "k", "resource_name": "contoso"}));

    for deployment in ["a/b", "..", "x?y", ""] {
        assert!(azure.url(&model(deployment), "embeddings").is_err());
    }
}

#[test]
fn the_key_goes_in_api_key_and_an_entra_token_as_a_bearer() {
    let keyed = headers(&config(json!({"api_key": "az-key"}))).unwrap();
    assert_eq!(keyed["api-key"], "az-key");
    assert!(keyed["api-key"].is_sensitive());
    assert!(!keyed.contains_key("authorization"));

    let entra = headers(&config(json!({"azure_ad_token": "eyJ0"}))).unwrap();
    assert_eq!(entra["authorization"], "Bearer eyJ0");
    assert!(entra["authorization"].is_sensitive());
    assert!(!entra.contains_key("api-key"));
}

#[test]
fn the_chat_body_is_openais_with_developer_as_system() {
    let request = json!({
        "model": "azure-gpt-4o",
        "messages": [
            {"role": "developer", "content": "You are terse."},
            {"role": "user", "content": "Hi"}
        ],
        "temperature": 0.2,
        "stream": true,
        "stream_options": {"include_usage": true},
        "data_sources": [{"type": "azure_search"}]
    });

    let sent = chat_request(
        &model("gpt-4o-prod"),
        serde_json::from_value(request).unwrap(),
    );

    assert_eq!(
        serde_json::to_value(sent).unwrap(),
        json!({
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "Hi"}
            ],
            "temperature": 0.2,
            "stream": true,
            "stream_options": {"include_usage": true},
            "data_sources": [{"type": "azure_search"}]
        })
    );
}

/// Azure's stream as PROTOCOLS.md section 3.3 shows it: a prompt-filter chunk first, content
/// with filter results, an annotation-only choice without a delta, the finish, the usage.
fn azure_stream() -> Vec<Value> {
    let filters = json!({"hate": {"filtered": false, "severity": "safe"}});
    vec![
        json!({"choices": [], "created": 0, "id": "", "model": "", "object": "",
               "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": filters}]}),
        json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
               "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"},
                            "finish_reason": null, "content_filter_results": filters}]}),
        json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
               "choices": [{"index": 0, "finish_reason": null,
                            "content_filter_offsets": {"check_offset": 2}}]}),
        json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
        json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
               "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                         "total_tokens": 2}}),
    ]
}

#[tokio::test]
async fn only_chunks_a_client_can_use_are_passed_on() {
    let chunks = azure_stream()
        .into_iter()
        .map(|chunk| Ok(serde_json::from_value::<ChatCompletionChunk>(chunk).unwrap()));

    let kept: Vec<Value> = futures_util::stream::iter(chunks)
        .filter_map(stream::chat_chunk_for_client)
        .map(|chunk| serde_json::to_value(chunk.unwrap()).unwrap())
        .collect()
        .await;

    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0]["choices"][0]["delta"]["content"], "Hi");
    assert_eq!(
        kept[0]["choices"][0]["content_filter_results"]["hate"]["filtered"],
        false
    );
    assert_eq!(kept[1]["choices"][0]["finish_reason"], "stop");
    assert_eq!(kept[2]["choices"], json!([]));
    assert_eq!(kept[2]["usage"]["total_tokens"], 2);
}

#[tokio::test]
async fn the_prompt_filter_chunk_of_a_legacy_stream_is_dropped() {
    let filter_only = json!({"id": "", "object": "", "created": 0, "model": "", "choices": [],
                             "prompt_filter_results": []});
    let text = json!({"id": "c", "object": "text_completion", "created": 1, "model": "m",
                      "choices": [{"text": "Hi", "index": 0, "finish_reason": null}]});
    let chunks = [filter_only, text]
        .into_iter()
        .map(|chunk| Ok(serde_json::from_value::<Completion>(chunk).unwrap()));

    let kept: Vec<_> = futures_util::stream::iter(chunks)
        .filter_map(stream::completion_chunk_for_client)
        .collect()
        .await;

    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].as_ref().unwrap().choices[0].text, "Hi");
}
