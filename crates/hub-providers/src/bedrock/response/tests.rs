//! Converse answers beside the chat completions they become.

use serde_json::{Value, json};

use super::*;

fn envelope() -> Envelope {
    Envelope {
        id: "chatcmpl-req-1".to_owned(),
        created: 1_700_000_000,
        model: "amazon.nova-lite-v1:0".to_owned(),
    }
}

fn translate(bedrock: Value) -> Result<Value, Error> {
    let response: ConverseResponse = serde_json::from_value(bedrock).unwrap();
    chat_completion("aws", response, envelope()).map(|done| serde_json::to_value(done).unwrap())
}

#[test]
fn a_text_answer() {
    let bedrock = json!({
        "output": {"message": {"role": "assistant", "content": [{"text": "Hel"}, {"text": "lo"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 1, "totalTokens": 11},
        "metrics": {"latencyMs": 12}
    });
    let openai = json!({
        "id": "chatcmpl-req-1", "object": "chat.completion", "created": 1_700_000_000,
        "model": "amazon.nova-lite-v1:0",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello",
            "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}
    });
    assert_eq!(translate(bedrock).unwrap(), openai);
}

#[test]
fn a_tool_call() {
    let bedrock = json!({
        "output": {"message": {"role": "assistant", "content": [
            {"reasoningContent": {"reasoningText": {"text": "thinking"}}},
            {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather",
                         "input": {"city": "Paris"}}}]}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 20, "outputTokens": 5, "totalTokens": 25},
        "metrics": {"latencyMs": 30}
    });
    let completion = translate(bedrock).unwrap();
    assert_eq!(
        completion["choices"][0],
        json!({"index": 0, "message": {"role": "assistant", "content": null, "refusal": null,
            "tool_calls": [{"id": "tooluse_1", "type": "function", "function": {
                "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            "logprobs": null, "finish_reason": "tool_calls"})
    );
}

#[test]
fn stop_reasons_map_to_finish_reasons() {
    let cases = [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("guardrail_intervened", "content_filter"),
        ("content_filtered", "content_filter"),
    ];
    for (bedrock, openai) in cases {
        assert_eq!(
            finish_reason("aws", bedrock).unwrap().as_str(),
            openai,
            "{bedrock}"
        );
    }
}

#[test]
fn malformed_output_is_an_error() {
    for reason in ["malformed_model_output", "malformed_tool_use"] {
        let error = finish_reason("aws", reason).unwrap_err();
        assert_eq!(error.status(), 502);
        assert_eq!(error.to_body().error.code.as_deref(), Some(reason));
        assert!(error.to_body().error.message.starts_with("aws: "));
    }
}

#[test]
fn cached_prompt_tokens_count_as_prompt_tokens() {
    let usage: TokenUsage = serde_json::from_value(json!({"inputTokens": 10, "outputTokens": 4,
        "totalTokens": 114, "cacheReadInputTokens": 80, "cacheWriteInputTokens": 20}))
    .unwrap();
    assert_eq!(
        serde_json::to_value(usage.to_openai()).unwrap(),
        json!({"prompt_tokens": 110, "completion_tokens": 4, "total_tokens": 114,
               "prompt_tokens_details": {"cached_tokens": 80}})
    );
}
