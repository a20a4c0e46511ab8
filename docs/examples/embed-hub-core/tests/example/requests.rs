//! Requests built with the typed API, and requests and answers decoded and encoded again.

use embed_hub_core::{answer, request};
use hub_core::chat::{ChatCompletion, ChatCompletionRequest, ChatMessage, FinishReason};
use serde_json::{Value, json};

use crate::{read, vector_json};

#[test]
fn a_request_built_with_the_typed_api_is_openai_json() {
    let built = request::ask("gpt-4o", "Is it raining in Lisbon?");
    let body: Value =
        serde_json::from_slice(&request::to_body(&built).unwrap()).expect("the body is JSON");

    assert_eq!(
        body,
        json!({
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "Answer in one sentence."},
                {"role": "user", "content": "Is it raining in Lisbon?"}
            ],
            "temperature": 0.2,
            "max_completion_tokens": 256,
            "tools": [{
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "The current weather in a city.",
                    "parameters": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"]
                    }
                }
            }],
            "tool_choice": "auto"
        })
    );
}

#[test]
fn a_streamed_request_asks_for_usage() {
    let built = request::streamed(request::ask("gpt-4o", "Hi"));
    let body = serde_json::to_value(&built).unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
}

#[test]
fn a_request_vector_survives_a_round_trip_unchanged() {
    let original = vector_json("chat-request.json");
    let decoded: ChatCompletionRequest = serde_json::from_value(original.clone()).unwrap();

    assert!(matches!(decoded.messages[2], ChatMessage::Assistant(_)));
    assert_eq!(decoded.extra["store"], true);
    assert_eq!(serde_json::to_value(&decoded).unwrap(), original);
}

#[test]
fn an_answer_vector_survives_a_round_trip_unchanged() {
    let original = vector_json("chat-response.json");
    let decoded: ChatCompletion = serde_json::from_value(original.clone()).unwrap();
    assert_eq!(serde_json::to_value(&decoded).unwrap(), original);
}

#[test]
fn an_answer_reads_as_text_finish_reason_and_usage() {
    let answer = answer::read(read("vectors/chat-response.json").as_bytes()).unwrap();

    assert_eq!(answer.text, "It is 21 °C and sunny in Lisbon.");
    assert!(answer.tool_calls.is_empty());
    assert_eq!(answer.finish_reason, Some(FinishReason::Stop));
    assert_eq!(answer.usage.map(|usage| usage.total_tokens), Some(69));
}
