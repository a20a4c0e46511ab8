//! The gateway in front of the Vertex AI emulator, over loopback sockets: chat, streams, tools
//! both ways, structured output, embeddings, errors, and the service account's access token
//! shared across requests and refreshed before it expires.

use std::time::Duration;

use base64::Engine;
use http::StatusCode;
use hub_testkit::{Fault, VertexMock, VertexMockConfig};
use serde_json::{Value, json};

use crate::common::{Harness, chat, streamed};

pub(crate) fn config(mock: &VertexMock, credentials: Value) -> Value {
    let mut provider = json!({"key": "vertex", "type": "vertexai", "base_url": mock.base_url(),
                              "project_id": "hub-test-project", "location": "us-central1",
                              "timeout_ms": 2000});
    let credentials = credentials.as_object().expect("credentials are an object");
    provider
        .as_object_mut()
        .expect("the provider is an object")
        .extend(credentials.clone());
    json!({
        "providers": [provider],
        "models": [
            {"key": "gemini", "type": "gemini-2.5-flash", "provider": "vertex"},
            {"key": "missing", "type": "gemini-9", "provider": "vertex"},
            {"key": "embedder", "type": "text-embedding-005", "provider": "vertex"}
        ],
        "pipelines": [
            {"name": "default", "type": "chat", "plugins": [
                {"model-router": {"models": ["gemini", "missing"]}}]},
            {"name": "vectors", "type": "embeddings", "plugins": [
                {"model-router": {"models": ["embedder"]}}]}
        ]
    })
}

async fn start_with(mock: VertexMockConfig) -> Harness<VertexMock> {
    let mock = VertexMock::start(mock).await.expect("the emulator starts");
    let config = config(
        &mock,
        json!({"credentials_json": mock.service_account_json()}),
    );
    Harness::serve(mock, config).await
}

async fn start() -> Harness<VertexMock> {
    start_with(VertexMockConfig::default()).await
}

fn with_weather_tool(mut request: Value) -> Value {
    request["tools"] = json!([{"type": "function", "function": {"name": "get_weather",
        "description": "Weather by city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}}]);
    request
}

fn token_requests(mock: &VertexMock) -> usize {
    mock.requests()
        .iter()
        .filter(|request| request.path == "/token")
        .count()
}

#[tokio::test]
async fn a_chat_reaches_generate_content_with_a_token_and_comes_back() {
    let hub = start().await;
    let request = json!({"model": "gemini", "messages": [
        {"role": "developer", "content": "You are terse."},
        {"role": "user", "content": "Hello Gemini"}], "temperature": 0.2});

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let body = reply.json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Echo: Hello Gemini"
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["usage"]["prompt_tokens"], 5);
    assert_eq!(body["usage"]["total_tokens"], 8);
    assert_eq!(reply.headers["x-hub-provider"], "vertex");

    let sent = hub.mock.requests().pop().unwrap();
    assert_eq!(
        sent.path,
        "/v1/projects/hub-test-project/locations/us-central1/publishers/google/models/\
         gemini-2.5-flash:generateContent"
    );
    assert!(
        sent.header("authorization")
            .unwrap()
            .starts_with("Bearer ya29.")
    );
    assert_eq!(
        sent.body["systemInstruction"],
        json!({"parts": [{"text": "You are terse."}]})
    );
    assert_eq!(sent.body["generationConfig"], json!({"temperature": 0.2}));
    hub.stop().await;
}

#[tokio::test]
async fn a_stream_becomes_openai_chunks_ending_with_done() {
    let hub = start().await;

    let request = streamed(chat("gemini", "one two three"));
    let plain = hub.post("/v1/chat/completions", &request).await.chunks();
    let text: String = plain
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Echo: one two three");
    assert_eq!(plain[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(plain.iter().all(|chunk| chunk["id"] == plain[0]["id"]));
    assert!(plain.iter().all(|chunk| chunk["choices"][0].is_object()));
    assert_eq!(plain.last().unwrap()["choices"][0]["finish_reason"], "stop");

    let mut request = streamed(chat("gemini", "count"));
    request["stream_options"] = json!({"include_usage": true});
    let with_usage = hub.post("/v1/chat/completions", &request).await.chunks();
    let last = with_usage.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["completion_tokens"], 2);

    let sent = hub.mock.requests().pop().unwrap();
    assert!(sent.path.ends_with(":streamGenerateContent?alt=sse"));
    hub.stop().await;
}

#[tokio::test]
async fn a_tool_call_and_its_result_make_the_round_trip() {
    let hub = start().await;
    let mut request = with_weather_tool(chat("gemini", "What is the weather in Paris?"));
    request["tool_choice"] = json!("required");

    let first = hub.post("/v1/chat/completions", &request).await.json();
    let choice = &first["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    let call = choice["message"]["tool_calls"][0].clone();
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], "{\"city\":\"example\"}");
    assert_eq!(
        hub.mock.requests().pop().unwrap().body["toolConfig"],
        json!({"functionCallingConfig": {"mode": "ANY"}})
    );

    let follow_up = with_weather_tool(json!({"model": "gemini", "messages": [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": null, "tool_calls": [call.clone()]},
        {"role": "tool", "tool_call_id": call["id"], "content": "rainy, 14C"},
        {"role": "user", "content": "thanks"}]}));
    let second = hub.post("/v1/chat/completions", &follow_up).await;

    assert_eq!(second.status, StatusCode::OK, "{:?}", second.body);
    assert_eq!(
        second.json()["choices"][0]["message"]["content"],
        "Echo: thanks"
    );
    let sent = hub.mock.requests().pop().unwrap();
    assert_eq!(
        sent.body["contents"][2]["parts"][0],
        json!({"functionResponse": {"name": "get_weather",
                                    "response": {"result": "rainy, 14C"}}})
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_streamed_tool_call_arrives_whole() {
    let hub = start().await;
    let request = streamed(with_weather_tool(chat(
        "gemini",
        "What is the weather in Rome?",
    )));

    let stream = hub.post("/v1/chat/completions", &request).await.chunks();

    let fragments: Vec<&Value> = stream
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["tool_calls"].as_array())
        .flatten()
        .collect();
    assert_eq!(fragments.len(), 1);
    assert_eq!(fragments[0]["index"], 0);
    assert_eq!(fragments[0]["function"]["name"], "get_weather");
    assert!(fragments[0]["id"].as_str().unwrap().starts_with("call_"));
    assert_eq!(
        stream.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
    hub.stop().await;
}

#[tokio::test]
async fn n_and_structured_output_are_honoured() {
    let hub = start().await;
    let mut request = chat("gemini", "Describe");
    request["n"] = json!(2);
    request["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "a",
        "schema": {"type": "object", "properties": {"size": {"type": "integer"}},
                   "required": ["size"], "additionalProperties": false}}});

    let body = hub.post("/v1/chat/completions", &request).await.json();

    let choices = body["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 2);
    assert_eq!(choices[1]["index"], 1);
    let content: Value =
        serde_json::from_str(choices[0]["message"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(content, json!({"size": 1}));
    hub.stop().await;
}

#[tokio::test]
async fn embeddings_in_float_and_base64() {
    let hub = start().await;
    let request = json!({"model": "embedder", "input": ["hello", "world"], "dimensions": 8});

    let floats = hub.post("/v1/embeddings", &request).await;
    assert_eq!(floats.status, StatusCode::OK, "{:?}", floats.body);
    let floats = floats.json();
    let mut encoded = request.clone();
    encoded["encoding_format"] = json!("base64");
    let encoded = hub.post("/v1/embeddings", &encoded).await.json();

    let values: Vec<f32> = serde_json::from_value(floats["data"][1]["embedding"].clone()).unwrap();
    assert_eq!(values.len(), 8);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded["data"][1]["embedding"].as_str().unwrap())
        .unwrap();
    let decoded: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(decoded, values);
    assert_eq!(floats["usage"]["prompt_tokens"], 2);
    let sent = hub.mock.requests().pop().unwrap();
    assert!(sent.path.ends_with("/text-embedding-005:predict"));
    assert_eq!(sent.body["parameters"]["outputDimensionality"], 8);
    hub.stop().await;
}

#[tokio::test]
async fn one_token_serves_many_requests() {
    let hub = start().await;
    let gateway = &hub;

    let calls = (0..8).map(|index| {
        let request = chat("gemini", &format!("request {index}"));
        async move { gateway.post("/v1/chat/completions", &request).await.status }
    });
    let statuses = futures_util::future::join_all(calls).await;
    for _ in 0..4 {
        let reply = hub
            .post("/v1/chat/completions", &chat("gemini", "again"))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }

    assert!(
        statuses.iter().all(|status| *status == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(token_requests(&hub.mock), 1);
    hub.stop().await;
}

#[tokio::test]
async fn a_token_near_its_expiry_is_refreshed() {
    let hub = start_with(VertexMockConfig {
        token_lifetime: Duration::from_secs(2),
        ..VertexMockConfig::default()
    })
    .await;

    let first = hub
        .post("/v1/chat/completions", &chat("gemini", "one"))
        .await;
    assert_eq!(first.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = hub
        .post("/v1/chat/completions", &chat("gemini", "two"))
        .await;

    assert_eq!(second.status, StatusCode::OK, "{:?}", second.body);
    assert_eq!(token_requests(&hub.mock), 2);
    let bearers: Vec<String> = hub
        .mock
        .requests()
        .iter()
        .filter_map(|request| request.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(bearers.len(), 2);
    assert_ne!(bearers[0], bearers[1]);
    hub.stop().await;
}

#[tokio::test]
async fn an_api_key_is_sent_instead_of_a_token() {
    let mock = VertexMock::start(VertexMockConfig {
        api_key: Some("vertex-key".to_owned()),
        ..VertexMockConfig::default()
    })
    .await
    .unwrap();
    let config = config(&mock, json!({"api_key": "vertex-key"}));
    let hub = Harness::serve(mock, config).await;

    let reply = hub
        .post("/v1/chat/completions", &chat("gemini", "hi"))
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let sent = hub.mock.requests().pop().unwrap();
    assert_eq!(sent.header("x-goog-api-key"), Some("vertex-key"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(token_requests(&hub.mock), 0);
    hub.stop().await;
}

#[tokio::test]
async fn google_errors_reach_the_client_as_openais() {
    let hub = start().await;

    let missing = hub
        .post("/v1/chat/completions", &chat("missing", "x"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let error = missing.error();
    assert_eq!(error["code"], "not_found");
    assert!(
        error["message"].as_str().unwrap().contains("gemini-9"),
        "{error}"
    );

    hub.mock.set_fault(Some(Fault::Status {
        status: 429,
        body: json!({"error": {"code": 429, "message": "Resource exhausted. Please try again \
                     later.", "status": "RESOURCE_EXHAUSTED"}}),
        retry_after: Some(2),
    }));
    let limited = hub.post("/v1/chat/completions", &chat("gemini", "x")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers["retry-after"], "2");
    assert_eq!(limited.error()["code"], "resource_exhausted");

    hub.mock.set_fault(Some(Fault::Status {
        status: 500,
        body: json!({"error": {"code": 500, "message": "Internal error encountered.",
                               "status": "INTERNAL"}}),
        retry_after: None,
    }));
    let failed = hub.post("/v1/chat/completions", &chat("gemini", "x")).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY);
    let message = failed.error()["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("vertex: upstream answered 500"),
        "{message}"
    );
    assert!(message.contains("Internal error encountered."), "{message}");
    hub.stop().await;
}

#[tokio::test]
async fn what_cannot_be_translated_is_a_400_naming_the_param() {
    let hub = start().await;
    let mut request = chat("gemini", "x");
    request["logit_bias"] = json!({"50256": -100});

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let error = reply.error();
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["param"], "logit_bias");
    assert_eq!(
        hub.mock.requests().len(),
        0,
        "nothing was sent, not even for a token"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_cut_stream_ends_with_an_error_event_not_done() {
    let hub = start().await;
    hub.mock
        .set_fault(Some(Fault::TruncateStream { after_chunks: 2 }));

    let reply = hub
        .post(
            "/v1/chat/completions",
            &streamed(chat("gemini", "a b c d e")),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    let events = reply.events();
    assert!(!events.contains(&"[DONE]".to_owned()));
    let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
    assert!(
        last["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("vertex: "),
        "{last}"
    );
    hub.stop().await;
}
