//! Streams added up into answers, and streams that do not add up.

use embed_hub_core::stream::{self, StreamError};
use hub_core::chat::{ChatCompletionChunk, FinishReason};
use serde_json::Value;

use crate::read;

#[test]
fn a_stream_adds_up_to_its_text_tool_call_and_usage() {
    let answer = stream::read(&read("vectors/chat-stream.txt")).unwrap();

    assert_eq!(answer.text, "Let me check.");
    assert_eq!(answer.tool_calls.len(), 1);
    assert_eq!(answer.tool_calls[0].id, "call_7");
    assert_eq!(answer.tool_calls[0].function.name, "get_weather");
    assert_eq!(
        answer.tool_calls[0].function.arguments,
        r#"{"city":"Lisbon"}"#
    );
    assert_eq!(answer.finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(answer.usage.map(|usage| usage.completion_tokens), Some(18));
}

#[test]
fn every_chunk_of_the_stream_vector_survives_a_round_trip_unchanged() {
    let events = read("vectors/chat-stream.txt");
    let chunks = events
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]");

    for data in chunks {
        let original: Value = serde_json::from_str(data).unwrap();
        let decoded: ChatCompletionChunk = serde_json::from_value(original.clone()).unwrap();
        assert_eq!(serde_json::to_value(&decoded).unwrap(), original, "{data}");
    }
}

#[test]
fn an_error_event_ends_the_stream_with_the_servers_error() {
    let events = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\
                  \"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n\
                  data: {\"error\":{\"message\":\"anthropic: overloaded\",\
                  \"type\":\"upstream_error\",\"param\":null,\"code\":\"overloaded_error\"}}\n\n";

    let Err(StreamError::Reported(body)) = stream::read(events) else {
        panic!("the error event was not reported");
    };
    assert_eq!(body.error.code.as_deref(), Some("overloaded_error"));
}

#[test]
fn a_stream_without_done_is_truncated() {
    let whole = read("vectors/chat-stream.txt");
    let cut = whole
        .strip_suffix("data: [DONE]\n\n")
        .expect("the vector ends with [DONE]");

    assert!(matches!(stream::read(cut), Err(StreamError::Truncated)));
}

#[test]
fn a_data_line_that_is_not_a_chunk_is_malformed() {
    let result = stream::read("data: {\"choices\": \"none\"}\n\n");
    assert!(matches!(result, Err(StreamError::Malformed(_))));
}
