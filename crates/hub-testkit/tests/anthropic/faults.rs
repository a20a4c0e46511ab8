//! Failures on purpose: error statuses in Anthropic's shape, `error` events mid-stream, and
//! streams cut off.

use hub_testkit::{Fault, StreamError};
use serde_json::json;

use crate::client::{self, message, post};

#[tokio::test]
async fn an_overload_answers_529_with_retry_after() {
    let mock = client::mock().await;
    let body =
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
    mock.set_fault(Some(Fault::Status {
        status: 529,
        body: body.clone(),
        retry_after: Some(3),
    }));

    let reply = post(&mock, &message("claude-sonnet-4-5", "hi")).await;

    assert_eq!(reply.status, 529);
    assert_eq!(reply.headers["retry-after"], "3");
    assert_eq!(reply.json(), body);
    assert_eq!(
        mock.requests().len(),
        1,
        "the request was recorded all the same"
    );
}

#[tokio::test]
async fn an_error_event_ends_a_stream_after_the_events_before_it() {
    let mock = client::mock().await;
    mock.set_stream_error(Some(StreamError {
        after_events: 3,
        kind: "overloaded_error".to_owned(),
        message: "Overloaded".to_owned(),
    }));
    let mut body = message("claude-sonnet-4-5", "one two three");
    body["stream"] = json!(true);

    let events = post(&mock, &body).await.events();

    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["message_start", "content_block_start", "ping", "error"]
    );
    assert_eq!(
        events[3].1["error"],
        json!({"type": "overloaded_error", "message": "Overloaded"})
    );

    mock.set_stream_error(None);
    let events = post(&mock, &body).await.events();
    assert_eq!(events.last().unwrap().0, "message_stop");
}

#[tokio::test]
async fn a_truncated_stream_breaks_the_connection_midway() {
    let mock = client::mock().await;
    mock.set_fault(Some(Fault::TruncateStream { after_chunks: 4 }));
    let mut body = message("claude-sonnet-4-5", "one two three");
    body["stream"] = json!(true);

    let reply = post(&mock, &body).await;

    assert_eq!(reply.status, 200);
    assert!(
        reply.body.is_err(),
        "the body ends in an error, not cleanly"
    );
}
