//! A new configuration swapped in while the gateway serves: new requests see it at once,
//! requests in flight finish on the one they started with.

use std::time::Duration;

use http::{Method, StatusCode};
use http_body_util::BodyExt;
use hub_testkit::MockConfig;
use serde_json::json;

use crate::common::{Harness, chat, snapshot};

fn rename_chat_model(config: &mut serde_json::Value) {
    config["models"][0]["key"] = json!("renamed");
    config["pipelines"][0]["plugins"][1] = json!({"model-router": {"models": ["renamed"]}});
}

#[tokio::test]
async fn a_reload_applies_to_the_next_request() {
    let hub = Harness::start().await;
    assert_eq!(
        hub.post("/v1/chat/completions", &chat("chat-model", "x"))
            .await
            .status,
        StatusCode::OK
    );

    hub.gateway.reload(snapshot(&hub.mock, rename_chat_model));

    let old = hub
        .post("/v1/chat/completions", &chat("chat-model", "x"))
        .await;
    let new = hub
        .post("/v1/chat/completions", &chat("renamed", "x"))
        .await;
    assert_eq!(old.status, StatusCode::NOT_FOUND);
    assert_eq!(new.status, StatusCode::OK);
    assert_eq!(new.headers["x-hub-model"], "renamed");
    hub.stop().await;
}

#[tokio::test]
async fn a_stream_in_flight_finishes_across_a_reload() {
    let mock = MockConfig {
        stream_chunk_delay: Duration::from_millis(30),
        ..MockConfig::default()
    };
    let hub = Harness::start_with(mock, |_| {}).await;
    let mut request = chat("chat-model", "one two three four five six");
    request["stream"] = json!(true);
    let response = hub
        .send(
            Method::POST,
            "/v1/chat/completions",
            &[("content-type", "application/json")],
            request.to_string(),
        )
        .await;

    hub.gateway.reload(snapshot(&hub.mock, rename_chat_model));
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the stream reads")
        .to_bytes();

    let text = String::from_utf8_lossy(&body);
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    assert!(text.contains("six"), "{text}");
    hub.stop().await;
}
