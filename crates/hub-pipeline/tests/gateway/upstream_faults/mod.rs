//! An upstream that fails, refuses, stalls or breaks: the client gets a clear error that
//! names the provider, never a hang. This file holds the OpenAI emulator's refusals and
//! breaks; `streams` and `bodies` play the faults whose handling differs by wire format
//! against every stream format.

mod bodies;
mod streams;
mod upstreams;

use crate::common::{Harness, chat};
use http::StatusCode;
use hub_testkit::{Fault, MockConfig};
use serde_json::{Value, json};

fn message(error: &Value) -> &str {
    error["message"].as_str().expect("a message")
}

#[tokio::test]
async fn an_upstream_5xx_is_a_502_naming_the_provider() {
    let hub = Harness::start().await;
    hub.mock.set_fault(Some(Fault::Status {
        status: 500,
        body: json!({"error": {"message": "The server had an error", "type": "server_error", "param": null, "code": null}}),
        retry_after: None,
    }));

    let reply = hub.post("/v1/chat/completions", &chat("mini", "x")).await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    let error = reply.error();
    assert!(message(&error).starts_with("mock-openai: "), "{error}");
    assert!(
        message(&error).contains("The server had an error"),
        "{error}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn an_upstream_429_keeps_its_status_and_retry_after() {
    let hub = Harness::start().await;
    hub.mock.set_fault(Some(Fault::Status {
        status: 429,
        body: json!({"error": {"message": "Rate limit reached", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}),
        retry_after: Some(7),
    }));

    let reply = hub.post("/v1/chat/completions", &chat("mini", "x")).await;

    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.headers["retry-after"], "7");
    assert_eq!(reply.error()["code"], "rate_limit_exceeded");
    hub.stop().await;
}

#[tokio::test]
async fn an_upstream_that_refuses_hubs_key_is_a_502() {
    let hub = Harness::start_with(MockConfig::default(), |config| {
        config["providers"][0]["api_key"] = json!("sk-wrong");
    })
    .await;

    let reply = hub.post("/v1/chat/completions", &chat("mini", "x")).await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    let error = reply.error();
    assert!(
        message(&error).contains("mock-openai: upstream answered 401"),
        "{error}"
    );
    assert!(
        !message(&error).contains("sk-wrong"),
        "the key is not echoed back"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_refused_connection_is_a_502() {
    let hub = Harness::start_with(MockConfig::default(), |config| {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        config["providers"][0]["base_url"] = json!(format!("http://{closed}/v1"));
    })
    .await;

    let reply = hub.post("/v1/chat/completions", &chat("mini", "x")).await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    let error = reply.error();
    assert!(
        message(&error).starts_with("mock-openai: upstream unreachable: connection failed"),
        "{error}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_reset_before_the_answer_is_a_502() {
    let hub = Harness::start().await;
    hub.mock.set_fault(Some(Fault::ResetBeforeResponse));

    let reply = hub.post("/v1/chat/completions", &chat("mini", "x")).await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert!(message(&reply.error()).starts_with("mock-openai: upstream unreachable"));
    hub.stop().await;
}

#[tokio::test]
async fn a_stalled_upstream_is_a_504() {
    let hub = Harness::start_with(MockConfig::default(), |config| {
        config["providers"][0]["timeout_ms"] = json!(300);
    })
    .await;
    hub.mock.set_fault(Some(Fault::Stall));

    let reply = hub.post("/v1/chat/completions", &chat("mini", "x")).await;

    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    let error = reply.error();
    assert_eq!(error["code"], "upstream_timeout");
    assert!(message(&error).starts_with("mock-openai: upstream timed out after 300 ms"));
    hub.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_502() {
    let hub = Harness::start().await;
    hub.mock.set_fault(Some(Fault::InvalidJson));

    let reply = hub.post("/v1/chat/completions", &chat("mini", "x")).await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert!(message(&reply.error()).contains("malformed response"));
    hub.stop().await;
}

#[tokio::test]
async fn a_truncated_stream_ends_with_an_error_event_not_done() {
    let hub = Harness::start().await;
    hub.mock
        .set_fault(Some(Fault::TruncateStream { after_chunks: 2 }));
    let mut request = chat("mini", "one two three four five");
    request["stream"] = json!(true);

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(
        reply.status,
        StatusCode::OK,
        "the head had gone before the break"
    );
    let events = reply.events();
    assert!(!events.contains(&"[DONE]".to_owned()));
    let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
    assert!(
        message(&last["error"]).starts_with("mock-openai: "),
        "{last}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn an_upstream_error_status_on_a_stream_is_an_error_response() {
    let hub = Harness::start().await;
    hub.mock.set_fault(Some(Fault::Status {
        status: 503,
        body: json!({"error": {"message": "overloaded", "type": "server_error", "param": null, "code": null}}),
        retry_after: None,
    }));
    let mut request = chat("mini", "x");
    request["stream"] = json!(true);

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert!(message(&reply.error()).contains("overloaded"));
    hub.stop().await;
}
