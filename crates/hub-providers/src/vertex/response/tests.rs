//! Translation tests: Vertex's answers beside the chat completions clients receive.

use serde_json::{Value, json};

use super::*;

fn translate(vertex: Value) -> Result<Value, Error> {
    let response: GenerateContentResponse = serde_json::from_value(vertex).unwrap();
    let envelope = Envelope::of(&response, "gemini-2.5-flash", 1_700_000_000);
    chat_completion(response, envelope, "vertex").map(|done| serde_json::to_value(done).unwrap())
}

#[test]
fn the_reference_answer_becomes_a_chat_completion() {
    let vertex = json!({"candidates": [{"index": 0,
        "content": {"role": "model", "parts": [{"text": "Hello"}]},
        "finishReason": "STOP", "avgLogprobs": -0.12,
        "safetyRatings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"}]}],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 1, "totalTokenCount": 6},
        "modelVersion": "gemini-2.0-flash-001", "createTime": "2025-01-01T00:00:00.000000Z",
        "responseId": "abc123"});

    assert_eq!(
        translate(vertex).unwrap(),
        json!({"id": "chatcmpl-abc123", "object": "chat.completion", "created": 1_700_000_000,
               "model": "gemini-2.0-flash-001",
               "choices": [{"index": 0, "logprobs": null, "finish_reason": "stop",
                            "message": {"role": "assistant", "content": "Hello",
                                        "refusal": null}}],
               "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}})
    );
}

#[test]
fn function_calls_become_tool_calls_with_stable_ids() {
    let vertex = json!({"candidates": [{"content": {"role": "model", "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
            {"functionCall": {"name": "get_time"}}]},
        "finishReason": "STOP"}]});

    let openai = translate(vertex).unwrap();

    let choice = &openai["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    assert_eq!(
        choice["message"]["tool_calls"],
        json!([
            {"id": "call_0_get_weather", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_1_get_time", "type": "function",
             "function": {"name": "get_time", "arguments": "{}"}}
        ])
    );
    assert!(
        openai["id"]
            .as_str()
            .unwrap()
            .starts_with("chatcmpl-vertex-")
    );
    assert_eq!(openai["model"], "gemini-2.5-flash");
}

#[test]
fn finish_reasons_map_to_openais() {
    let cases = [
        ("STOP", false, Some("stop")),
        ("STOP", true, Some("tool_calls")),
        ("MAX_TOKENS", false, Some("length")),
        ("SAFETY", false, Some("content_filter")),
        ("RECITATION", false, Some("content_filter")),
        ("PROHIBITED_CONTENT", false, Some("content_filter")),
        ("SPII", false, Some("content_filter")),
        ("MALFORMED_FUNCTION_CALL", false, Some("stop")),
        ("OTHER", false, Some("stop")),
        ("FINISH_REASON_UNSPECIFIED", false, None),
    ];
    for (vertex, calls, openai) in cases {
        let mapped = finish_reason(Some(vertex), calls);
        assert_eq!(
            mapped.as_ref().map(FinishReason::as_str),
            openai,
            "{vertex}"
        );
    }
}

#[test]
fn candidates_thoughts_and_reasoning_tokens() {
    let vertex = json!({"candidates": [
            {"content": {"parts": [{"text": "thinking...", "thought": true}, {"text": "A"}]},
             "finishReason": "STOP"},
            {"index": 1, "content": {"parts": [{"text": "B"}]}, "finishReason": "MAX_TOKENS"}],
        "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 2,
                          "thoughtsTokenCount": 10, "cachedContentTokenCount": 3,
                          "totalTokenCount": 16}});

    let openai = translate(vertex).unwrap();

    assert_eq!(openai["choices"][0]["message"]["content"], "A");
    assert_eq!(openai["choices"][1]["index"], 1);
    assert_eq!(openai["choices"][1]["finish_reason"], "length");
    assert_eq!(
        openai["usage"],
        json!({"prompt_tokens": 4, "completion_tokens": 12, "total_tokens": 16,
               "prompt_tokens_details": {"cached_tokens": 3},
               "completion_tokens_details": {"reasoning_tokens": 10}})
    );
}

#[test]
fn a_blocked_prompt_is_a_content_filter_refusal() {
    let vertex = json!({"promptFeedback": {"blockReason": "SAFETY",
                                           "blockReasonMessage": "The prompt was blocked."},
                        "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4}});

    let error = translate(vertex).unwrap_err();

    assert_eq!(error.status(), 400);
    let body = error.to_body().error;
    assert_eq!(body.code.as_deref(), Some("content_filter"));
    assert_eq!(
        body.message,
        "Vertex AI blocked the prompt (SAFETY): The prompt was blocked."
    );
}

#[test]
fn an_answer_without_candidates_or_feedback_is_malformed() {
    let error = translate(json!({"modelVersion": "gemini"})).unwrap_err();

    assert!(matches!(error, Error::UpstreamProtocol { .. }), "{error:?}");
}
