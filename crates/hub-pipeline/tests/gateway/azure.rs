//! The gateway in front of the Azure OpenAI emulator, over loopback sockets: chat, streams,
//! tools, legacy completions, embeddings, the content filter and upstream errors.

use base64::Engine;
use http::StatusCode;
use hub_testkit::{AzureMock, AzureMockConfig, CONTENT_FILTER_TRIGGER, Fault};
use serde_json::{Value, json};

use crate::common::{Harness, chat, streamed};

const KEY: &str = "azure-upstream-key";

pub(crate) fn config(base_url: &str, credentials: Value) -> Value {
    let mut provider = json!({"key": "azure", "type": "azure", "base_url": base_url,
                              "api_version": "2024-10-21", "timeout_ms": 2000});
    let credentials = credentials.as_object().expect("credentials are an object");
    provider
        .as_object_mut()
        .expect("the provider is an object")
        .extend(credentials.clone());
    json!({
        "providers": [provider],
        "models": [
            {"key": "gpt", "type": "gpt-4o", "provider": "azure", "deployment": "gpt-4o"},
            {"key": "instruct", "type": "gpt-3.5-turbo-instruct", "provider": "azure",
             "deployment": "gpt-35-turbo-instruct"},
            {"key": "embedder", "type": "text-embedding-3-small", "provider": "azure",
             "deployment": "text-embedding-3-small"},
            {"key": "missing", "type": "gpt-4o", "provider": "azure", "deployment": "gpt-5"}
        ],
        "pipelines": [
            {"name": "default", "type": "chat", "plugins": [
                {"model-router": {"models": ["gpt", "missing"]}}]},
            {"name": "legacy", "type": "completion", "plugins": [
                {"model-router": {"models": ["instruct"]}}]},
            {"name": "vectors", "type": "embeddings", "plugins": [
                {"model-router": {"models": ["embedder"]}}]}
        ]
    })
}

async fn start_with(mock: AzureMockConfig, credentials: Value) -> Harness<AzureMock> {
    let mock = AzureMock::start(mock).await.expect("the emulator starts");
    let config = config(&mock.base_url(), credentials);
    Harness::serve(mock, config).await
}

async fn start() -> Harness<AzureMock> {
    let mock = AzureMockConfig {
        api_key: Some(KEY.to_owned()),
        ..AzureMockConfig::default()
    };
    start_with(mock, json!({"api_key": KEY})).await
}

fn text_of(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect()
}

#[tokio::test]
async fn a_chat_reaches_the_deployment_with_the_key_and_comes_back() {
    let hub = start().await;
    let request = json!({"model": "gpt", "messages": [
        {"role": "developer", "content": "You are terse."},
        {"role": "user", "content": "Hello Azure"}]});

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let body = reply.json();
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Echo: Hello Azure"
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(reply.headers["x-hub-provider"], "azure");

    let sent = hub.mock.requests().pop().unwrap();
    assert_eq!(
        sent.path,
        "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
    );
    assert_eq!(sent.header("api-key"), Some(KEY));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(sent.body["messages"][0]["role"], "system");
    hub.stop().await;
}

#[tokio::test]
async fn an_entra_token_is_sent_as_a_bearer() {
    let mock = AzureMockConfig {
        ad_token: Some("entra-token".to_owned()),
        ..AzureMockConfig::default()
    };
    let hub = start_with(mock, json!({"azure_ad_token": "entra-token"})).await;

    let reply = hub.post("/v1/chat/completions", &chat("gpt", "hi")).await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let sent = hub.mock.requests().pop().unwrap();
    assert_eq!(sent.header("authorization"), Some("Bearer entra-token"));
    assert_eq!(sent.header("api-key"), None);
    hub.stop().await;
}

#[tokio::test]
async fn the_prompt_filter_chunk_never_reaches_the_client() {
    let hub = start().await;

    let request = streamed(chat("gpt", "one two three"));
    let plain = hub.post("/v1/chat/completions", &request).await.chunks();
    assert_eq!(text_of(&plain), "Echo: one two three");
    let carries_something = |chunk: &Value| {
        let choice = &chunk["choices"][0];
        choice["delta"] != json!({}) || !choice["finish_reason"].is_null()
    };
    assert!(
        plain.iter().all(carries_something),
        "no chunk is only a filter annotation: {plain:?}"
    );
    assert!(plain.iter().all(|chunk| chunk["id"] == plain[0]["id"]));

    let mut request = streamed(chat("gpt", "count"));
    request["stream_options"] = json!({"include_usage": true});
    let with_usage = hub.post("/v1/chat/completions", &request).await.chunks();
    let empty: Vec<&Value> = with_usage
        .iter()
        .filter(|chunk| chunk["choices"] == json!([]))
        .collect();
    assert_eq!(empty.len(), 1, "only the usage chunk has no choices");
    assert!(empty[0]["usage"]["total_tokens"].as_u64().unwrap() > 0);
    assert_eq!(with_usage.last(), Some(empty[0]));
    hub.stop().await;
}

#[tokio::test]
async fn tool_calls_come_back_whole_and_streamed() {
    let hub = start().await;
    let mut request = chat("gpt", "What is the weather in Paris?");
    request["tools"] = json!([{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}}]);
    request["tool_choice"] = json!("required");

    let whole = hub.post("/v1/chat/completions", &request).await.json();
    let call = &whole["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(whole["choices"][0]["finish_reason"], "tool_calls");

    let stream = hub
        .post("/v1/chat/completions", &streamed(request))
        .await
        .chunks();
    let arguments: String = stream
        .iter()
        .filter_map(|chunk| {
            chunk["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str()
        })
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&arguments).unwrap(),
        json!({"city": "example"})
    );
    hub.stop().await;
}

#[tokio::test]
async fn legacy_completions_whole_and_streamed() {
    let hub = start().await;
    let request = json!({"model": "instruct", "prompt": "Say this", "max_tokens": 5});

    let whole = hub.post("/v1/completions", &request).await;
    assert_eq!(whole.status, StatusCode::OK, "{:?}", whole.body);
    assert_eq!(whole.json()["choices"][0]["text"], "Echo: Say this");

    let stream = hub
        .post("/v1/completions", &streamed(request))
        .await
        .chunks();
    assert!(stream.iter().all(|chunk| chunk["choices"][0].is_object()));
    let text: String = stream
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["text"].as_str())
        .collect();
    assert_eq!(text, "Echo: Say this");
    let sent = hub.mock.requests().pop().unwrap();
    assert!(
        sent.path
            .starts_with("/openai/deployments/gpt-35-turbo-instruct/completions?")
    );
    hub.stop().await;
}

#[tokio::test]
async fn embeddings_in_float_and_base64() {
    let hub = start().await;

    let floats = hub
        .post(
            "/v1/embeddings",
            &json!({"model": "embedder", "input": "hello"}),
        )
        .await
        .json();
    let encoded = hub
        .post(
            "/v1/embeddings",
            &json!({"model": "embedder", "input": "hello", "encoding_format": "base64"}),
        )
        .await
        .json();

    let values: Vec<f32> = serde_json::from_value(floats["data"][0]["embedding"].clone()).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    let decoded: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert!(!values.is_empty());
    assert_eq!(decoded, values);
    hub.stop().await;
}

#[tokio::test]
async fn a_filtered_prompt_is_a_400_content_filter_error() {
    let hub = start().await;

    let reply = hub
        .post("/v1/chat/completions", &chat("gpt", CONTENT_FILTER_TRIGGER))
        .await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let error = reply.error();
    assert_eq!(error["code"], "content_filter");
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["param"], "prompt");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("Azure OpenAI's content management policy"),
        "{error}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn upstream_refusals_map_to_fitting_statuses() {
    let mock = AzureMockConfig {
        api_key: Some(KEY.to_owned()),
        ..AzureMockConfig::default()
    };
    let hub = start_with(mock, json!({"api_key": "wrong-key"})).await;

    let refused = hub.post("/v1/chat/completions", &chat("gpt", "x")).await;
    assert_eq!(refused.status, StatusCode::BAD_GATEWAY);
    let message = refused.error()["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("azure: upstream answered 401"),
        "{message}"
    );
    assert!(!message.contains("wrong-key"));
    hub.stop().await;

    let hub = start().await;
    let missing = hub
        .post("/v1/chat/completions", &chat("missing", "x"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error()["code"], "DeploymentNotFound");

    hub.mock.set_fault(Some(Fault::Status {
        status: 429,
        body: json!({"error": {"code": "429", "message": "Rate limit is exceeded."}}),
        retry_after: Some(3),
    }));
    let limited = hub.post("/v1/chat/completions", &chat("gpt", "x")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers["retry-after"], "3");
    assert_eq!(limited.error()["type"], "rate_limit_error");
    hub.stop().await;
}

#[tokio::test]
async fn a_truncated_stream_ends_with_an_error_event() {
    let hub = start().await;
    hub.mock
        .set_fault(Some(Fault::TruncateStream { after_chunks: 3 }));

    let reply = hub
        .post("/v1/chat/completions", &streamed(chat("gpt", "a b c d e")))
        .await;

    let events = reply.events();
    assert!(!events.contains(&"[DONE]".to_owned()));
    let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
    assert!(
        last["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("azure: ")
    );
    hub.stop().await;
}
