//! The gateway in front of the OpenAI emulator, over loopback sockets: every endpoint,
//! streamed and not.

use crate::common::{Harness, MOCK_KEY, chat};
use base64::Engine;
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};

#[tokio::test]
async fn chat_completion_reaches_the_upstream_and_comes_back() {
    let hub = Harness::start().await;
    let mut request = chat("chat-model", "Hello there");
    request["metadata"] = json!({"team": "search"});
    request["temperature"] = json!(0.5);

    let reply = hub.post("/api/v1/chat/completions", &request).await;

    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Echo: Hello there"
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert!(body["usage"]["total_tokens"].as_u64().unwrap() > 0);
    assert_eq!(reply.headers["x-hub-model"], "chat-model");
    assert_eq!(reply.headers["x-hub-provider"], "mock-openai");
    assert!(reply.headers.contains_key("x-request-id"));

    let sent = hub
        .mock
        .requests()
        .pop()
        .expect("the upstream saw the call");
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {MOCK_KEY}").as_str())
    );
    assert_eq!(
        sent.body["model"], "gpt-4o",
        "the provider's model id is sent"
    );
    assert_eq!(
        sent.body["metadata"],
        json!({"team": "search"}),
        "unknown fields pass"
    );
    assert_eq!(sent.body["temperature"], json!(0.5));
    hub.stop().await;
}

#[tokio::test]
async fn v1_paths_and_provider_model_ids_are_accepted() {
    let hub = Harness::start().await;

    let reply = hub
        .post("/v1/chat/completions", &chat("gpt-4o-mini", "hi"))
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.headers["x-hub-model"], "mini");
    hub.stop().await;
}

#[tokio::test]
async fn tool_calls_come_back_as_sent() {
    let hub = Harness::start().await;
    let mut request = chat("chat-model", "What is the weather in Paris?");
    request["tools"] = json!([{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}}]);
    request["tool_choice"] = json!("required");

    let body = hub.post("/v1/chat/completions", &request).await.json();

    let call = &body["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    hub.stop().await;
}

#[tokio::test]
async fn chat_stream_passes_through_and_ends_with_done() {
    let hub = Harness::start().await;
    let mut request = chat("chat-model", "one two three");
    request["stream"] = json!(true);

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "text/event-stream");
    let events = reply.events();
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|event| serde_json::from_str(event).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Echo: one two three");
    assert!(chunks.iter().all(|chunk| chunk["id"] == chunks[0]["id"]));
    assert!(
        chunks
            .iter()
            .all(|chunk| !chunk["choices"].as_array().unwrap().is_empty()),
        "the usage chunk Hub asked for is not shown to a client that did not"
    );

    let sent = hub.mock.requests().pop().unwrap();
    assert_eq!(sent.body["stream_options"]["include_usage"], true);
    hub.stop().await;
}

#[tokio::test]
async fn chat_stream_keeps_the_usage_chunk_when_asked() {
    let hub = Harness::start().await;
    let mut request = chat("chat-model", "count these words");
    request["stream"] = json!(true);
    request["stream_options"] = json!({"include_usage": true});

    let events = hub.post("/v1/chat/completions", &request).await.events();

    let usage: Value = serde_json::from_str(&events[events.len() - 2]).unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    hub.stop().await;
}

#[tokio::test]
async fn stream_chunks_arrive_as_they_are_sent() {
    let mock = hub_testkit::MockConfig {
        stream_chunk_delay: std::time::Duration::from_millis(40),
        ..hub_testkit::MockConfig::default()
    };
    let hub = Harness::start_with(mock, |_| {}).await;
    let mut request = chat("chat-model", "a b c d e f");
    request["stream"] = json!(true);

    let response = hub
        .send(
            Method::POST,
            "/v1/chat/completions",
            &[("content-type", "application/json")],
            request.to_string(),
        )
        .await;
    let mut body = response.into_body();
    let mut frames = 0;
    while let Some(frame) = body.frame().await {
        if frame
            .unwrap()
            .data_ref()
            .is_some_and(|data| !data.is_empty())
        {
            frames += 1;
        }
    }

    assert!(
        frames >= 8,
        "a paced stream arrives in pieces, got {frames} frames"
    );
    hub.stop().await;
}

#[tokio::test]
async fn legacy_completions_whole_and_streamed() {
    let hub = Harness::start().await;
    let request = json!({"model": "instruct", "prompt": "Say this", "max_tokens": 5});

    let reply = hub.post("/v1/completions", &request).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let body = reply.json();
    assert_eq!(body["object"], "text_completion");
    assert!(body["choices"][0]["text"].is_string());

    let mut streamed = request.clone();
    streamed["stream"] = json!(true);
    let events = hub.post("/api/v1/completions", &streamed).await.events();
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let first: Value = serde_json::from_str(&events[0]).unwrap();
    assert_eq!(first["object"], "text_completion");
    hub.stop().await;
}

#[tokio::test]
async fn embeddings_answer_in_the_encoding_asked_for() {
    let hub = Harness::start().await;
    let float = json!({"model": "embedder", "input": "hello"});
    let base64 = json!({"model": "embedder", "input": "hello", "encoding_format": "base64"});

    let floats = hub.post("/v1/embeddings", &float).await.json();
    let encoded = hub.post("/v1/embeddings", &base64).await.json();

    let values: Vec<f32> = serde_json::from_value(floats["data"][0]["embedding"].clone()).unwrap();
    let text = encoded["data"][0]["embedding"]
        .as_str()
        .expect("a base64 string");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap();
    let decoded: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert!(!values.is_empty());
    assert_eq!(decoded, values);
    assert_eq!(
        hub.mock.requests().pop().unwrap().body["encoding_format"],
        "base64"
    );
    hub.stop().await;
}

#[tokio::test]
async fn models_are_listed_per_pipeline() {
    let hub = Harness::start().await;

    let all = hub.call(Method::GET, "/v1/models", &[], "").await.json();
    let ids: Vec<&str> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["chat-model", "mini", "instruct", "embedder"]);
    assert_eq!(all["data"][0]["object"], "model");
    assert_eq!(all["data"][0]["owned_by"], "mock-openai");

    let minimal = hub
        .call(
            Method::GET,
            "/api/v1/models",
            &[("x-traceloop-pipeline", "minimal")],
            "",
        )
        .await
        .json();
    assert_eq!(minimal["data"].as_array().unwrap().len(), 1);

    let one = hub.call(Method::GET, "/v1/models/instruct", &[], "").await;
    assert_eq!(one.json()["id"], "instruct");
    let missing = hub.call(Method::GET, "/v1/models/nope", &[], "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error()["code"], "model_not_found");
    hub.stop().await;
}

#[tokio::test]
async fn pipelines_are_chosen_by_header_then_by_type() {
    let hub = Harness::start().await;

    let chosen = hub
        .post_with(
            "/v1/chat/completions",
            &[("x-traceloop-pipeline", "minimal")],
            &chat("chat-model", "x"),
        )
        .await;
    assert_eq!(
        chosen.status,
        StatusCode::NOT_FOUND,
        "`minimal` serves only `mini`"
    );
    assert_eq!(chosen.error()["code"], "model_not_found");

    let embeddings = hub
        .post(
            "/v1/embeddings",
            &json!({"model": "embedder", "input": "x"}),
        )
        .await;
    assert_eq!(
        embeddings.status,
        StatusCode::OK,
        "the embeddings pipeline is found by type"
    );

    let unknown = hub
        .post_with(
            "/v1/chat/completions",
            &[("x-traceloop-pipeline", "nope")],
            &chat("mini", "x"),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error()["code"], "pipeline_not_found");

    let mismatch = hub
        .post_with(
            "/v1/embeddings",
            &[("x-traceloop-pipeline", "default")],
            &json!({"model": "embedder", "input": "x"}),
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);
    assert_eq!(mismatch.error()["code"], "pipeline_mismatch");
    hub.stop().await;
}

#[tokio::test]
async fn health_answers_ok() {
    let hub = Harness::start().await;

    let reply = hub.call(Method::GET, "/health", &[], "").await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"status": "ok"}));
    hub.stop().await;
}
