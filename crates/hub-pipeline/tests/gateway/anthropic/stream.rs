//! Streams served by Claude: Anthropic's events become OpenAI's chunks one by one.

use http::StatusCode;
use hub_testkit::{Fault, StreamError};
use serde_json::{Value, json};

use super::harness::{Claude, chunks, stream_error};

fn streamed(text: &str, include_usage: bool) -> Value {
    let mut request = json!({"model": "claude", "stream": true,
        "messages": [{"role": "user", "content": text}]});
    if include_usage {
        request["stream_options"] = json!({"include_usage": true});
    }
    request
}

#[tokio::test]
async fn a_stream_has_one_id_the_role_first_the_text_a_finish_and_usage() {
    let claude = Claude::start().await;

    let reply = claude
        .chat(&streamed("stream these five words", true))
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "text/event-stream");
    let chunks = chunks(&reply);
    let first = &chunks[0];
    assert!(first["id"].as_str().expect("an id").starts_with("msg_"));
    assert!(chunks.iter().all(|chunk| chunk["id"] == first["id"]
        && chunk["model"] == "claude-sonnet-4-5"
        && chunk["created"] == first["created"]
        && chunk["object"] == "chat.completion.chunk"));
    assert_eq!(
        first["choices"][0]["delta"],
        json!({"role": "assistant", "content": ""})
    );

    let (usage, rest) = chunks.split_last().expect("chunks");
    let text: String = rest
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Echo: stream these five words");
    assert_eq!(rest.len(), 1 + 5 + 1, "role, one chunk per word, finish");
    assert_eq!(
        rest.last().expect("a finish")["choices"][0]["finish_reason"],
        "stop"
    );
    assert_eq!(
        *usage,
        json!({"id": first["id"], "object": "chat.completion.chunk", "created": first["created"],
               "model": "claude-sonnet-4-5", "choices": [],
               "usage": {"prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9,
                         "prompt_tokens_details": {"cached_tokens": 0}}})
    );
    assert_eq!(claude.sent().body["stream"], true);
    assert!(claude.sent().body.get("stream_options").is_none());
    claude.stop().await;
}

#[tokio::test]
async fn without_include_usage_no_usage_chunk_is_sent() {
    let claude = Claude::start().await;

    let chunks = chunks(&claude.chat(&streamed("hi", false)).await);

    assert!(
        chunks
            .iter()
            .all(|chunk| chunk["choices"].as_array().is_some_and(|c| c.len() == 1))
    );
    assert_eq!(
        chunks.last().expect("a chunk")["choices"][0]["finish_reason"],
        "stop"
    );
    claude.stop().await;
}

#[tokio::test]
async fn an_error_event_midway_ends_the_stream_with_an_error_the_client_sees() {
    let claude = Claude::start().await;
    claude.mock.set_stream_error(Some(StreamError {
        after_events: 4,
        kind: "overloaded_error".to_owned(),
        message: "Overloaded".to_owned(),
    }));

    let reply = claude.chat(&streamed("one two three", true)).await;

    assert_eq!(
        reply.status,
        StatusCode::OK,
        "the head had gone before the error"
    );
    let error = stream_error(&reply);
    assert_eq!(error["message"], "anthropic: Overloaded");
    assert_eq!(error["code"], "overloaded_error");
    assert_eq!(reply.events().len(), 3, "role, one word, the error");
    claude.stop().await;
}

#[tokio::test]
async fn a_stream_cut_off_before_message_stop_ends_with_an_error() {
    let claude = Claude::start().await;
    claude
        .mock
        .set_fault(Some(Fault::TruncateStream { after_chunks: 5 }));

    let reply = claude.chat(&streamed("one two three four", true)).await;

    assert_eq!(reply.status, StatusCode::OK);
    let error = stream_error(&reply);
    let message = error["message"].as_str().expect("a message");
    assert!(message.starts_with("anthropic: "), "{message}");
    claude.stop().await;
}
