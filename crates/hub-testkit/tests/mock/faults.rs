//! Each fault, checked on the wire: what bytes arrive, and when the connection closes.

use std::time::{Duration, Instant};

use hub_testkit::{Fault, MockConfig, OpenAiMock};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::client::{self, chat_body, raw_exchange, raw_post};

fn streamed_chat() -> serde_json::Value {
    let mut body = chat_body("gpt-4o", "one two three four");
    body["stream"] = json!(true);
    body
}

#[tokio::test]
async fn a_status_fault_sends_its_status_body_and_retry_after() {
    let mock = client::mock().await;
    let body = json!({"error": {
        "message": "Slow down",
        "type": "requests",
        "param": null,
        "code": "rate_limit_exceeded"
    }});
    mock.set_fault(Some(Fault::Status {
        status: 429,
        body: body.clone(),
        retry_after: Some(7),
    }));

    let reply = client::post(&mock, "/v1/chat/completions", &chat_body("gpt-4o", "hi")).await;

    assert_eq!(reply.status, 429);
    assert_eq!(reply.headers["retry-after"], "7");
    assert_eq!(reply.json(), body);

    mock.set_fault(None);
    let reply = client::post(&mock, "/v1/chat/completions", &chat_body("gpt-4o", "hi")).await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn a_status_fault_without_retry_after_sends_no_such_header() {
    let mock = client::mock().await;
    mock.set_fault(Some(Fault::Status {
        status: 503,
        body: json!({}),
        retry_after: None,
    }));

    let reply = client::get(&mock, "/v1/models").await;

    assert_eq!(reply.status, 503);
    assert!(reply.headers.get("retry-after").is_none());
}

#[tokio::test]
async fn a_reset_closes_the_socket_without_a_single_byte() {
    let mock = client::mock().await;
    mock.set_fault(Some(Fault::ResetBeforeResponse));

    let received = raw_exchange(
        mock.addr(),
        &raw_post("/v1/chat/completions", &chat_body("gpt-4o", "hi")),
    )
    .await;

    assert!(
        received.is_empty(),
        "got {:?}",
        String::from_utf8_lossy(&received)
    );
    assert_eq!(
        mock.requests().len(),
        1,
        "the request was read before the reset"
    );
}

#[tokio::test]
async fn a_stall_never_answers_until_shutdown() {
    let mock = client::mock().await;
    mock.set_fault(Some(Fault::Stall));
    let mut stream = TcpStream::connect(mock.addr()).await.expect("connect");
    stream
        .write_all(&raw_post(
            "/v1/chat/completions",
            &chat_body("gpt-4o", "hi"),
        ))
        .await
        .expect("write");

    let mut buffer = [0_u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buffer)).await;
    assert!(early.is_err(), "no byte within the window: {early:?}");

    mock.shutdown().await;
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "shutdown closes the stalled connection");
    assert!(rest.is_empty());
}

/// The events of a raw HTTP/1.1 response and whether its chunked body was terminated.
fn raw_stream(received: &[u8]) -> (usize, bool, bool) {
    let text = String::from_utf8_lossy(received);
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    (
        body.matches("data: {").count(),
        body.contains("[DONE]"),
        body.ends_with("0\r\n\r\n"),
    )
}

#[tokio::test]
async fn a_truncated_stream_stops_after_its_chunks_with_no_done() {
    let mock = client::mock().await;
    mock.set_fault(Some(Fault::TruncateStream { after_chunks: 2 }));

    let received = raw_exchange(
        mock.addr(),
        &raw_post("/v1/chat/completions", &streamed_chat()),
    )
    .await;

    let (events, done, terminated) = raw_stream(&received);
    assert_eq!(events, 2);
    assert!(!done, "no [DONE] after a cut");
    assert!(!terminated, "the chunked body is never terminated");
}

#[tokio::test]
async fn a_cut_beyond_the_stream_still_withholds_done() {
    let mock = client::mock().await;
    mock.set_fault(Some(Fault::TruncateStream { after_chunks: 100 }));

    let received = raw_exchange(
        mock.addr(),
        &raw_post("/v1/chat/completions", &streamed_chat()),
    )
    .await;

    let (events, done, terminated) = raw_stream(&received);
    assert_eq!(events, 7, "role, five words and the finish chunk");
    assert!(!done && !terminated);
}

#[tokio::test]
async fn without_the_fault_the_same_stream_ends_cleanly() {
    let mock = client::mock().await;
    let mut request = raw_post("/v1/chat/completions", &streamed_chat());
    // Ask the mock to close after answering, so reading to the end terminates.
    let at = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    request.splice(at..at, b"\r\nConnection: close".iter().copied());

    let received = raw_exchange(mock.addr(), &request).await;

    let (events, done, terminated) = raw_stream(&received);
    assert_eq!(events, 7);
    assert!(done && terminated);
}

#[tokio::test]
async fn truncation_leaves_whole_responses_alone() {
    let mock = client::mock().await;
    mock.set_fault(Some(Fault::TruncateStream { after_chunks: 1 }));

    let reply = client::post(&mock, "/v1/chat/completions", &chat_body("gpt-4o", "hi")).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["choices"][0]["message"]["content"], "Echo: hi");
}

#[tokio::test]
async fn invalid_json_is_a_200_that_no_parser_accepts() {
    let mock = client::mock().await;
    mock.set_fault(Some(Fault::InvalidJson));

    let reply = client::post(&mock, "/v1/chat/completions", &chat_body("gpt-4o", "hi")).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "application/json");
    assert!(!reply.body.is_empty());
    assert!(serde_json::from_slice::<serde_json::Value>(&reply.body).is_err());
}

#[tokio::test]
async fn latency_delays_the_response_head() {
    let config = MockConfig {
        latency: Duration::from_millis(150),
        ..MockConfig::default()
    };
    let mock = OpenAiMock::start(config).await.expect("the mock starts");

    let started = Instant::now();
    client::get(&mock, "/v1/models").await;
    assert!(started.elapsed() >= Duration::from_millis(150));

    mock.set_latency(Duration::ZERO);
    let started = Instant::now();
    client::get(&mock, "/v1/models").await;
    assert!(started.elapsed() < Duration::from_millis(150));
}
