//! Translation tests: Vertex's stream events beside the chunks clients receive.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::{ClientSettings, HttpClient};

fn translator(include_usage: bool) -> Translator {
    let client = HttpClient::new(&ClientSettings {
        connect_timeout: Duration::from_secs(1),
        limits: crate::UpstreamLimits::default(),
    })
    .unwrap();
    let upstream = Upstream {
        provider: "vertex".to_owned(),
        client,
        timeout: Duration::from_secs(5),
        redactor: crate::redact::Redactor::default(),
    };
    Translator::new(
        upstream,
        "gemini-2.5-flash".to_owned(),
        1_700_000_000,
        include_usage,
    )
}

/// The chunks for `events`, then what the end of the stream adds.
fn translate(translator: &mut Translator, events: &[Value]) -> Vec<Result<Value, Error>> {
    let mut out: Vec<Result<Value, Error>> = events
        .iter()
        .filter_map(|event| translator.event(&event.to_string()).transpose())
        .map(|chunk| chunk.map(|chunk| serde_json::to_value(chunk).unwrap()))
        .collect();
    if let Some(last) = translator.end() {
        out.push(last.map(|chunk| serde_json::to_value(chunk).unwrap()));
    }
    out
}

#[test]
fn the_reference_transcript_becomes_openai_chunks() {
    let events = [
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "I"}]}}],
               "modelVersion": "gemini-1.5-flash-001"}),
        json!({"candidates": [{"content": {"role": "model",
                                           "parts": [{"text": " am a large language model"}]},
                               "finishReason": "STOP"}],
               "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 9,
                                 "totalTokenCount": 14},
               "modelVersion": "gemini-1.5-flash-001"}),
    ];

    let chunks = translate(&mut translator(true), &events);

    let envelope = |choices: Value| {
        json!({"object": "chat.completion.chunk", "created": 1_700_000_000,
               "model": "gemini-1.5-flash-001", "choices": choices})
    };
    let id = chunks[0].as_ref().unwrap()["id"].clone();
    let mut expected = vec![
        envelope(
            json!([{"index": 0, "delta": {"role": "assistant", "content": "I"},
                         "finish_reason": null}]),
        ),
        envelope(
            json!([{"index": 0, "delta": {"content": " am a large language model"},
                         "finish_reason": "stop"}]),
        ),
        envelope(json!([])),
    ];
    expected[2]["usage"] = json!({"prompt_tokens": 5, "completion_tokens": 9,
                                  "total_tokens": 14});
    for chunk in &mut expected {
        chunk["id"] = id.clone();
    }
    let chunks: Vec<Value> = chunks.into_iter().map(Result::unwrap).collect();
    assert_eq!(chunks, expected);
}

#[test]
fn usage_stays_out_unless_asked_for() {
    let events = [
        json!({"candidates": [{"content": {"parts": [{"text": "Hi"}]},
                                         "finishReason": "STOP"}],
                         "usageMetadata": {"promptTokenCount": 1, "totalTokenCount": 2}}),
    ];

    let chunks = translate(&mut translator(false), &events);

    assert_eq!(chunks.len(), 1);
}

#[test]
fn function_calls_stream_as_whole_fragments_counted_per_candidate() {
    let events = [
        json!({"candidates": [{"content": {"parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]}}]}),
        json!({"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_time"}}]},
                               "finishReason": "STOP"}]}),
    ];

    let chunks = translate(&mut translator(false), &events);

    let first = &chunks[0].as_ref().unwrap()["choices"][0];
    assert_eq!(
        first["delta"]["tool_calls"],
        json!([{"index": 0, "id": "call_0_get_weather", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}])
    );
    let second = &chunks[1].as_ref().unwrap()["choices"][0];
    assert_eq!(second["delta"]["tool_calls"][0]["index"], 1);
    assert_eq!(second["delta"]["tool_calls"][0]["id"], "call_1_get_time");
    assert_eq!(second["finish_reason"], "tool_calls");
}

#[test]
fn candidates_are_choices_and_each_must_finish() {
    let events = [
        json!({"candidates": [{"content": {"parts": [{"text": "A"}]}},
                              {"index": 1, "content": {"parts": [{"text": "B"}]}}]}),
        json!({"candidates": [{"content": {"parts": [{"text": "!"}]}, "finishReason": "STOP"}]}),
    ];

    let chunks = translate(&mut translator(false), &events);

    let first = chunks[0].as_ref().unwrap();
    assert_eq!(first["choices"][1]["index"], 1);
    assert_eq!(first["choices"][1]["delta"]["role"], "assistant");
    match chunks.last().unwrap() {
        Err(Error::UpstreamProtocol { message, .. }) => {
            assert_eq!(message, "stream ended before a finish reason");
        }
        other => panic!("candidate 1 never finished, yet: {other:?}"),
    }
}

#[test]
fn an_error_event_or_a_blocked_prompt_ends_the_stream_with_an_error() {
    let error = json!({"error": {"code": 429, "message": "Resource exhausted.",
                                 "status": "RESOURCE_EXHAUSTED"}});
    let reported = translator(false).event(&error.to_string()).unwrap_err();
    assert_eq!(
        reported.to_body().error.code.as_deref(),
        Some("resource_exhausted")
    );
    assert!(reported.to_string().contains("Resource exhausted."));

    let blocked = json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}});
    let refused = translator(false).event(&blocked.to_string()).unwrap_err();
    assert_eq!(
        refused.to_body().error.code.as_deref(),
        Some("content_filter")
    );
}

#[test]
fn an_empty_stream_is_cut_off() {
    assert!(matches!(
        translate(&mut translator(true), &[]).pop(),
        Some(Err(Error::UpstreamProtocol { .. }))
    ));
}
