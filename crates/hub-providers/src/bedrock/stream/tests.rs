//! ConverseStream events beside the OpenAI chunks they become.

use std::convert::Infallible;
use std::time::Duration;

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;
use http_body_util::StreamBody;
use hyper::body::Frame as BodyFrame;
use serde_json::{Value, json};

use super::*;
use crate::{ClientSettings, HttpClient};

fn translator(include_usage: bool) -> Translator {
    let envelope = Envelope {
        id: "chatcmpl-req-1".to_owned(),
        created: 1_700_000_000,
        model: "m".to_owned(),
    };
    Translator::new("aws", envelope, include_usage)
}

/// Feeds events to a translator and returns every chunk's JSON, then what `end` adds.
fn run(translator: &mut Translator, events: &[(&str, Value)]) -> Vec<Value> {
    let mut chunks = Vec::new();
    for (event_type, payload) in events {
        let payload = payload.to_string();
        chunks.extend(translator.event(event_type, payload.as_bytes()).unwrap());
    }
    chunks.extend(translator.end().unwrap());
    chunks
        .into_iter()
        .map(|chunk| serde_json::to_value(chunk).unwrap())
        .collect()
}

fn chunk(choices: Value) -> Value {
    json!({"id": "chatcmpl-req-1", "object": "chat.completion.chunk", "created": 1_700_000_000,
           "model": "m", "choices": choices})
}

fn delta(delta: Value) -> Value {
    chunk(json!([{"index": 0, "delta": delta, "finish_reason": null}]))
}

fn finish(reason: &str) -> Value {
    chunk(json!([{"index": 0, "delta": {}, "finish_reason": reason}]))
}

fn usage_chunk(prompt: u64, completion: u64) -> Value {
    let mut last = chunk(json!([]));
    last["usage"] = json!({"prompt_tokens": prompt, "completion_tokens": completion,
                           "total_tokens": prompt + completion});
    last
}

fn metadata(input: u64, output: u64) -> (&'static str, Value) {
    let usage = json!({"inputTokens": input, "outputTokens": output,
                       "totalTokens": input + output});
    (
        "metadata",
        json!({"usage": usage, "metrics": {"latencyMs": 42}}),
    )
}

#[test]
fn text_streams_without_a_block_start_and_finishes_on_metadata() {
    let events = [
        ("messageStart", json!({"role": "assistant"})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Hel"}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "lo"}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 0})),
        ("messageStop", json!({"stopReason": "end_turn"})),
        metadata(10, 2),
    ];
    assert_eq!(
        run(&mut translator(true), &events),
        vec![
            delta(json!({"role": "assistant", "content": ""})),
            delta(json!({"content": "Hel"})),
            delta(json!({"content": "lo"})),
            finish("stop"),
            usage_chunk(10, 2),
        ]
    );
}

#[test]
fn tool_calls_stream_as_fragments_keyed_by_block_index() {
    let events = [
        ("messageStart", json!({"role": "assistant"})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Let me check."}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 0})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 1,
            "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 1,
            "delta": {"toolUse": {"input": "{\"city\":"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 1,
            "delta": {"toolUse": {"input": "\"Paris\"}"}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 1})),
        ("messageStop", json!({"stopReason": "tool_use"})),
        metadata(20, 9),
    ];
    assert_eq!(
        run(&mut translator(true), &events),
        vec![
            delta(json!({"role": "assistant", "content": ""})),
            delta(json!({"content": "Let me check."})),
            delta(
                json!({"tool_calls": [{"index": 0, "id": "tooluse_1", "type": "function",
                "function": {"name": "get_weather", "arguments": ""}}]})
            ),
            delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]})),
            delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]})),
            finish("tool_calls"),
            usage_chunk(20, 9),
        ]
    );
}

#[test]
fn usage_is_left_out_unless_asked_for() {
    let events = [
        ("messageStart", json!({"role": "assistant"})),
        ("messageStop", json!({"stopReason": "max_tokens"})),
        metadata(1, 1),
    ];
    let chunks = run(&mut translator(false), &events);
    assert_eq!(chunks.last().unwrap(), &finish("length"));
}

#[test]
fn a_stream_without_metadata_still_finishes() {
    let events = [
        ("messageStart", json!({"role": "assistant"})),
        ("messageStop", json!({"stopReason": "end_turn"})),
    ];
    assert_eq!(
        run(&mut translator(true), &events).last().unwrap(),
        &finish("stop")
    );
}

#[test]
fn unknown_events_and_reasoning_are_skipped() {
    let mut translator = translator(true);
    let reasoning = json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hm"}}});
    assert!(
        translator
            .event("contentBlockDelta", reasoning.to_string().as_bytes())
            .unwrap()
            .is_empty()
    );
    assert!(translator.event("somethingNew", b"{}").unwrap().is_empty());
}

#[test]
fn a_stream_cut_before_message_stop_is_an_error() {
    let mut translator = translator(true);
    translator
        .event("messageStart", br#"{"role":"assistant"}"#)
        .unwrap();
    let error = translator.end().unwrap_err();
    assert!(error.to_string().contains("before messageStop"), "{error}");
}

#[test]
fn a_tool_delta_without_its_start_is_an_error() {
    let mut translator = translator(true);
    let delta = json!({"contentBlockIndex": 3, "delta": {"toolUse": {"input": "{}"}}});
    assert!(
        translator
            .event("contentBlockDelta", delta.to_string().as_bytes())
            .is_err()
    );
}

fn frame(message_type: &str, name_header: &str, name: &str, payload: Value) -> Vec<u8> {
    let message = Message::new_from_parts(
        vec![
            Header::new(
                name_header.to_owned(),
                HeaderValue::String(name.to_owned().into()),
            ),
            Header::new(
                ":message-type",
                HeaderValue::String(message_type.to_owned().into()),
            ),
        ],
        Bytes::from(payload.to_string()),
    );
    let mut bytes = Vec::new();
    write_message_to(&message, &mut bytes).unwrap();
    bytes
}

fn event(name: &str, payload: Value) -> Vec<u8> {
    frame("event", ":event-type", name, payload)
}

fn exception(name: &str, message: &str) -> Vec<u8> {
    frame(
        "exception",
        ":exception-type",
        name,
        json!({"message": message}),
    )
}

async fn open_frames(frames: Vec<Vec<u8>>) -> Result<ChatStream, Error> {
    let body = StreamBody::new(futures_util::stream::iter(
        frames
            .into_iter()
            .map(|bytes| Ok::<_, Infallible>(BodyFrame::data(Bytes::from(bytes)))),
    ));
    let upstream = Upstream {
        provider: "aws".to_owned(),
        client: HttpClient::new(&ClientSettings {
            connect_timeout: Duration::from_secs(1),
            limits: crate::UpstreamLimits::default(),
        })
        .unwrap(),
        timeout: Duration::from_secs(5),
        redactor: crate::redact::Redactor::default(),
    };
    let frames = FrameStream::new(body, upstream.stream_limits());
    open(upstream, frames, translator(true)).await
}

#[tokio::test]
async fn an_exception_before_any_event_is_an_error_status() {
    let error = open_frames(vec![exception("throttlingException", "Too many requests")])
        .await
        .err()
        .unwrap();
    assert_eq!(error.status(), 429);
    assert_eq!(
        error.to_body().error.code.as_deref(),
        Some("rate_limit_exceeded")
    );
}

#[tokio::test]
async fn an_exception_mid_stream_ends_it_with_an_error() {
    let frames = vec![
        event("messageStart", json!({"role": "assistant"})),
        event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
        ),
        exception("modelStreamErrorException", "the model broke"),
        event("messageStop", json!({"stopReason": "end_turn"})),
    ];
    let items: Vec<_> = open_frames(frames).await.unwrap().collect().await;

    assert_eq!(items.len(), 3, "two chunks, then the error, then nothing");
    assert!(items[0].is_ok() && items[1].is_ok());
    let error = items[2].as_ref().unwrap_err();
    assert_eq!(
        error.to_body().error.message,
        "aws: ModelStreamErrorException: the model broke"
    );
}

#[tokio::test]
async fn an_empty_body_is_an_error_status() {
    let error = open_frames(Vec::new()).await.err().unwrap();
    assert_eq!(error.status(), 502);
}
