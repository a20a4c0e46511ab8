//! Anthropic event streams written from the API reference (PROTOCOLS.md 2.4), fed to the
//! translator through the real SSE decoder in small pieces, beside the exact chunks OpenAI's
//! reference says the client must read (1.3).

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::StreamBody;
use hub_core::Error;
use hyper::body::Frame;
use serde_json::{Value, json};

use super::{Chunks, Translator};
use crate::sse::EventStream;

const CREATED: u64 = 1_700_000_000;

/// The reference stream of PROTOCOLS.md 2.4: text, a ping, then a tool call.
const REFERENCE: &str = r#"event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-x","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type":"ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\": 1}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":12}}

event: message_stop
data: {"type":"message_stop"}

"#;

/// One SSE event as Anthropic writes it: the name, then the same name as the data's type.
fn event(data: &Value) -> String {
    let name = data["type"].as_str().unwrap();
    format!("event: {name}\ndata: {data}\n\n")
}

fn events(data: &[Value]) -> String {
    data.iter().map(event).collect()
}

fn start() -> Value {
    json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
        "role": "assistant", "content": [], "model": "claude-x", "stop_reason": null,
        "stop_sequence": null, "usage": {"input_tokens": 10, "output_tokens": 1}}})
}

fn block_start(index: u32, block: Value) -> Value {
    json!({"type": "content_block_start", "index": index, "content_block": block})
}

fn delta(index: u32, delta: Value) -> Value {
    json!({"type": "content_block_delta", "index": index, "delta": delta})
}

fn json_delta(index: u32, partial: &str) -> Value {
    delta(
        index,
        json!({"type": "input_json_delta", "partial_json": partial}),
    )
}

fn block_stop(index: u32) -> Value {
    json!({"type": "content_block_stop", "index": index})
}

fn message_delta(stop_reason: &str, usage: Value) -> Value {
    json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null},
           "usage": usage})
}

fn stop() -> Value {
    json!({"type": "message_stop"})
}

/// Everything the translated stream yields for `text` sent in 7-byte pieces: chunks as
/// JSON, errors as they are.
async fn translate(text: &str, include_usage: bool) -> Vec<Result<Value, Error>> {
    let pieces: Vec<Result<Frame<Bytes>, std::io::Error>> = text
        .as_bytes()
        .chunks(7)
        .map(|piece| Ok(Frame::data(Bytes::copy_from_slice(piece))))
        .collect();
    let body = StreamBody::new(futures_util::stream::iter(pieces));
    translate_body(body, include_usage).await
}

async fn translate_body<B>(body: B, include_usage: bool) -> Vec<Result<Value, Error>>
where
    B: http_body::Body + Send + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let timeout = Duration::from_secs(5);
    let limits = crate::sse::StreamLimits {
        idle_timeout: timeout,
        max_duration: Duration::from_secs(60),
        max_event_bytes: 1 << 20,
        max_stream_bytes: 1 << 20,
    };
    let events = Box::pin(EventStream::new(body, limits));
    let translator = Translator::new("claude", CREATED, include_usage);
    Chunks::new(events, translator, timeout)
        .map(|item| item.map(|chunk| serde_json::to_value(chunk).unwrap()))
        .collect()
        .await
}

fn chunk(delta: Value, finish_reason: Value) -> Value {
    json!({"id": "msg_1", "object": "chat.completion.chunk", "created": CREATED,
           "model": "claude-x",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]})
}

fn usage_chunk(usage: Value) -> Value {
    json!({"id": "msg_1", "object": "chat.completion.chunk", "created": CREATED,
           "model": "claude-x", "choices": [], "usage": usage})
}

fn chunks(items: Vec<Result<Value, Error>>) -> Vec<Value> {
    items
        .into_iter()
        .map(|item| item.unwrap_or_else(|error| panic!("unexpected error: {error}")))
        .collect()
}

#[tokio::test]
async fn the_reference_stream_becomes_openais_chunks() {
    let items = translate(REFERENCE, true).await;

    let expected = vec![
        chunk(json!({"role": "assistant", "content": ""}), Value::Null),
        chunk(json!({"content": "Hi"}), Value::Null),
        chunk(
            json!({"tool_calls": [{"index": 0, "id": "toolu_1", "type": "function",
                                   "function": {"name": "f", "arguments": ""}}]}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\": 1}"}}]}),
            Value::Null,
        ),
        chunk(json!({}), json!("tool_calls")),
        usage_chunk(
            json!({"prompt_tokens": 10, "completion_tokens": 12, "total_tokens": 22,
                           "prompt_tokens_details": {"cached_tokens": 0}}),
        ),
    ];
    assert_eq!(chunks(items), expected);
}

#[tokio::test]
async fn tool_calls_in_many_fragments_keep_their_own_openai_index() {
    let stream = events(&[
        start(),
        block_start(0, json!({"type": "thinking", "thinking": ""})),
        delta(
            0,
            json!({"type": "thinking_delta", "thinking": "Two cities."}),
        ),
        delta(0, json!({"type": "signature_delta", "signature": "sig"})),
        block_stop(0),
        block_start(
            1,
            json!({"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {}}),
        ),
        json_delta(1, ""),
        json_delta(1, "{\"ci"),
        json_delta(1, "ty\": \"Pa"),
        json_delta(1, "ris\"}"),
        block_stop(1),
        block_start(
            2,
            json!({"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {}}),
        ),
        json_delta(2, "{\"city\":"),
        json_delta(2, " \"Rome\"}"),
        block_stop(2),
        message_delta("tool_use", json!({"output_tokens": 40})),
        stop(),
    ]);

    let chunks = chunks(translate(&stream, false).await);

    let mut calls: Vec<(Option<Value>, String, String)> = Vec::new();
    for chunk in &chunks[1..chunks.len() - 1] {
        let call = &chunk["choices"][0]["delta"]["tool_calls"][0];
        let index = usize::try_from(call["index"].as_u64().unwrap()).unwrap();
        if index == calls.len() {
            calls.push((call.get("id").cloned(), String::new(), String::new()));
        }
        let function = &call["function"];
        calls[index].1 += function["name"].as_str().unwrap_or_default();
        calls[index].2 += function["arguments"].as_str().unwrap();
    }
    assert_eq!(
        calls,
        vec![
            (
                Some(json!("toolu_a")),
                "get_weather".to_owned(),
                "{\"city\": \"Paris\"}".to_owned()
            ),
            (
                Some(json!("toolu_b")),
                "get_weather".to_owned(),
                "{\"city\": \"Rome\"}".to_owned()
            ),
        ]
    );
    assert_eq!(
        chunks.len(),
        1 + 2 + 3 + 2 + 1,
        "role, two openings, five pieces, finish"
    );
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[tokio::test]
async fn without_include_usage_the_stream_ends_at_the_finish_chunk() {
    let stream = events(&[
        start(),
        block_start(0, json!({"type": "text", "text": ""})),
        delta(0, json!({"type": "text_delta", "text": "a b"})),
        block_stop(0),
        message_delta("max_tokens", json!({"output_tokens": 2})),
        stop(),
    ]);

    let chunks = chunks(translate(&stream, false).await);

    assert_eq!(chunks.len(), 3);
    assert_eq!(chunks[2], chunk(json!({}), json!("length")));
    assert!(chunks.iter().all(|chunk| chunk.get("usage").is_none()));
}

#[tokio::test]
async fn usage_takes_input_from_the_start_and_the_last_cumulative_output() {
    let start = json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
        "role": "assistant", "content": [], "model": "claude-x", "stop_reason": null,
        "usage": {"input_tokens": 10, "output_tokens": 1, "cache_creation_input_tokens": 5,
                  "cache_read_input_tokens": 100}}});
    let stream = events(&[
        start,
        message_delta("end_turn", json!({"output_tokens": 5})),
        json!({"type": "message_delta", "delta": {"stop_reason": null}, "usage": {"output_tokens": 9}}),
        stop(),
    ]);

    let chunks = chunks(translate(&stream, true).await);

    assert_eq!(
        chunks.last().unwrap()["usage"],
        json!({"prompt_tokens": 115, "completion_tokens": 9, "total_tokens": 124,
               "prompt_tokens_details": {"cached_tokens": 100, "cache_creation_tokens": 5}})
    );
    let finishes = chunks
        .iter()
        .filter(|chunk| !chunk["choices"][0]["finish_reason"].is_null())
        .count();
    assert_eq!(finishes, 1, "one finish chunk for two message_delta events");
}

#[tokio::test]
async fn a_stream_cut_off_midway_ends_with_an_error() {
    let stream = events(&[
        start(),
        block_start(0, json!({"type": "text", "text": ""})),
        delta(0, json!({"type": "text_delta", "text": "Half an ans"})),
    ]);

    let mut items = translate(&stream, true).await;

    let last = items.pop().unwrap().unwrap_err();
    assert!(
        matches!(&last, Error::UpstreamProtocol { provider, .. } if provider == "claude"),
        "{last:?}"
    );
    assert!(
        last.to_string().contains("ended before message_stop"),
        "{last}"
    );
    assert_eq!(chunks(items).len(), 2, "what arrived was passed on");
}

#[tokio::test]
async fn an_error_event_ends_the_stream_with_anthropics_message() {
    let stream = events(&[
        start(),
        block_start(0, json!({"type": "text", "text": ""})),
        delta(0, json!({"type": "text_delta", "text": "Hel"})),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        delta(0, json!({"type": "text_delta", "text": "lo"})),
    ]);

    let mut items = translate(&stream, true).await;

    let error = items.pop().unwrap().unwrap_err();
    assert_eq!(items.len(), 2, "nothing is read after the error");
    let body = error.to_body();
    assert_eq!(body.error.message, "claude: Overloaded");
    assert_eq!(body.error.code.as_deref(), Some("overloaded_error"));
}

#[tokio::test]
async fn what_follows_message_stop_is_not_read() {
    let stream = REFERENCE.to_owned() + "event: bogus\ndata: not json\n\n";

    let items = translate(&stream, false).await;

    assert!(items.iter().all(Result::is_ok), "{items:?}");
}

#[tokio::test]
async fn unknown_events_and_blocks_are_skipped() {
    let stream = events(&[
        start(),
        json!({"type": "future_event", "payload": 1}),
        block_start(
            0,
            json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}),
        ),
        json_delta(0, "{\"query\": \"x\"}"),
        block_stop(0),
        message_delta("end_turn", json!({"output_tokens": 3})),
        stop(),
    ]);

    let chunks = chunks(translate(&stream, false).await);

    assert_eq!(chunks.len(), 2, "{chunks:?}");
    assert_eq!(chunks[1]["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn streams_that_break_the_protocol_are_refused() {
    let cases = [
        events(&[block_start(0, json!({"type": "text", "text": ""}))]),
        events(&[
            start(),
            delta(3, json!({"type": "text_delta", "text": "x"})),
        ]),
        events(&[
            start(),
            block_start(0, json!({"type": "text", "text": ""})),
            json_delta(0, "{}"),
        ]),
        events(&[start(), start()]),
        "event: message_start\ndata: {not json\n\n".to_owned(),
    ];
    for stream in cases {
        let last = translate(&stream, false).await.pop().unwrap();
        assert!(
            matches!(last, Err(Error::UpstreamProtocol { .. })),
            "{stream}: {last:?}"
        );
    }
}

#[tokio::test]
async fn a_broken_connection_is_an_unreachable_upstream() {
    let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
        Ok(Frame::data(Bytes::from(event(&start())))),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset",
        )),
    ];
    let body = StreamBody::new(futures_util::stream::iter(frames));

    let mut items = translate_body(body, false).await;

    let last = items.pop().unwrap().unwrap_err();
    assert!(
        matches!(last, Error::UpstreamUnreachable { .. }),
        "{last:?}"
    );
    assert_eq!(items.len(), 1);
}
