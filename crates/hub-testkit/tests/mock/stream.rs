//! Streamed chat completions: the exact event sequence, tool-call fragments and pacing.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use http_body_util::BodyExt;
use hub_testkit::{MockConfig, OpenAiMock};
use serde_json::{Value, json};

use crate::client::{self, bearer, chat_body, chunks};

fn streamed(mut body: Value, include_usage: bool) -> Value {
    body["stream"] = json!(true);
    if include_usage {
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

/// A chunk as the mock should send it, with the id and creation time of `first`.
fn chunk(first: &Value, choices: Value, usage: Value) -> Value {
    json!({
        "id": first["id"],
        "object": "chat.completion.chunk",
        "created": first["created"],
        "model": "gpt-4o-2024-08-06",
        "service_tier": "default",
        "system_fingerprint": "fp_mock",
        "choices": choices,
        "usage": usage
    })
}

fn delta(delta: Value, finish_reason: Value) -> Value {
    json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}])
}

#[tokio::test]
async fn a_stream_sends_role_content_finish_usage_and_done() {
    let mock = client::mock().await;
    let body = streamed(chat_body("gpt-4o", "Hello world"), true);

    let reply = client::post(&mock, "/v1/chat/completions", &body).await;

    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.headers["content-type"],
        "text/event-stream; charset=utf-8"
    );
    let chunks = chunks(&reply);
    let first = &chunks[0];
    assert!(
        first["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("chatcmpl-"))
    );
    let usage = json!({
        "prompt_tokens": 2,
        "completion_tokens": 3,
        "total_tokens": 5,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0}
    });
    let expected = vec![
        chunk(
            first,
            delta(json!({"role": "assistant", "content": ""}), json!(null)),
            json!(null),
        ),
        chunk(
            first,
            delta(json!({"content": "Echo:"}), json!(null)),
            json!(null),
        ),
        chunk(
            first,
            delta(json!({"content": " Hello"}), json!(null)),
            json!(null),
        ),
        chunk(
            first,
            delta(json!({"content": " world"}), json!(null)),
            json!(null),
        ),
        chunk(first, delta(json!({}), json!("stop")), json!(null)),
        chunk(first, json!([]), usage),
    ];
    assert_eq!(chunks, expected);
}

#[tokio::test]
async fn without_include_usage_chunks_carry_no_usage_field() {
    let mock = client::mock().await;
    let body = streamed(chat_body("gpt-4o", "Hello"), false);

    let reply = client::post(&mock, "/v1/chat/completions", &body).await;

    let chunks = chunks(&reply);
    assert_eq!(chunks.len(), 4, "role, two words, finish");
    assert!(
        chunks.iter().all(|chunk| chunk.get("usage").is_none()),
        "{chunks:?}"
    );
    assert!(
        chunks
            .iter()
            .all(|chunk| chunk["choices"].as_array().is_some_and(|c| c.len() == 1))
    );
}

#[tokio::test]
async fn a_tool_call_streams_as_fragments_that_rebuild_the_arguments() {
    let mock = client::mock().await;
    let mut body = streamed(chat_body("gpt-4o", "weather?"), false);
    body["tools"] = json!([{"type": "function", "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"]
        }
    }}]);

    let reply = client::post(&mock, "/v1/chat/completions", &body).await;

    let chunks = chunks(&reply);
    let deltas: Vec<&Value> = chunks
        .iter()
        .map(|chunk| &chunk["choices"][0]["delta"])
        .collect();
    assert_eq!(deltas[0], &json!({"role": "assistant", "content": ""}));
    let opening = &deltas[1]["tool_calls"][0];
    assert_eq!(opening["index"], 0);
    assert!(
        opening["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("call_"))
    );
    assert_eq!(opening["type"], "function");
    assert_eq!(
        opening["function"],
        json!({"name": "get_weather", "arguments": ""})
    );

    let fragments = &deltas[2..deltas.len() - 1];
    assert!(fragments.len() > 1, "arguments arrive in several pieces");
    let mut arguments = String::new();
    for fragment in fragments {
        let call = &fragment["tool_calls"][0];
        assert_eq!(
            call.as_object().map(|call| call.len()),
            Some(2),
            "only index and function: {call}"
        );
        arguments.push_str(call["function"]["arguments"].as_str().expect("a fragment"));
    }
    assert_eq!(arguments, r#"{"city":"example"}"#);

    let last = chunks.last().expect("a finish chunk");
    assert_eq!(last["choices"][0]["finish_reason"], "tool_calls");
}

#[tokio::test]
async fn chunks_are_paced_and_arrive_one_by_one() {
    let delay = Duration::from_millis(40);
    let config = MockConfig {
        stream_chunk_delay: delay,
        ..MockConfig::default()
    };
    let mock = OpenAiMock::start(config).await.expect("the mock starts");
    let body = streamed(chat_body("gpt-4o", "a b c"), false);
    let auth = bearer();
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];

    let response = client::open(
        mock.addr(),
        Method::POST,
        "/v1/chat/completions",
        &headers,
        Bytes::from(body.to_string()),
    )
    .await;

    let mut body = response.into_body();
    let mut arrivals = Vec::new();
    while let Some(frame) = body.frame().await {
        let data = frame
            .expect("the stream completes")
            .into_data()
            .expect("only data frames");
        let text = String::from_utf8(data.to_vec()).expect("UTF-8");
        assert_eq!(
            text.matches("data: ").count(),
            1,
            "one event per write: {text:?}"
        );
        arrivals.push(Instant::now());
    }

    // Role, four words, finish and [DONE]: seven events, six pauses between them.
    assert_eq!(arrivals.len(), 7);
    let first = arrivals.first().expect("events arrived");
    let last = arrivals.last().expect("events arrived");
    assert!(
        *last - *first >= delay * 6,
        "events were paced: {:?}",
        *last - *first
    );
}

#[tokio::test]
async fn every_choice_streams_its_own_events() {
    let mock = client::mock().await;
    let mut body = streamed(chat_body("gpt-4o", "hi"), true);
    body["n"] = json!(2);

    let reply = client::post(&mock, "/v1/chat/completions", &body).await;

    let chunks = chunks(&reply);
    let finishes: Vec<&Value> = chunks
        .iter()
        .filter(|chunk| !chunk["choices"][0]["finish_reason"].is_null())
        .map(|chunk| &chunk["choices"][0]["index"])
        .collect();
    assert_eq!(finishes, [0, 1]);
    assert_eq!(
        chunks.last().expect("a usage chunk")["usage"]["completion_tokens"],
        4
    );
}
