//! Round trips of the examples in OpenAI's API reference.

use serde_json::{Value, json};

use super::*;

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(value: &Value) -> Value {
    let typed: T = serde_json::from_value(value.clone()).unwrap();
    serde_json::to_value(&typed).unwrap()
}

#[test]
fn full_request_survives_a_round_trip() {
    let request = json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "developer", "content": "You are terse."},
            {"role": "system", "content": [{"type": "text", "text": "Be kind."}], "name": "ops"},
            {"role": "user", "content": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                {"type": "file", "file": {"filename": "a.pdf", "file_data": "JVBERi0="},
                 "prompt_cache_breakpoint": {"mode": "explicit"}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_abc", "content": "rainy, 14C"}
        ],
        "tools": [{"type": "function", "function": {
            "name": "get_weather", "description": "Weather by city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
        "tool_choice": "auto",
        "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
            "schema": {"type": "object", "properties": {"text": {"type": "string"}}}}},
        "max_completion_tokens": 256,
        "temperature": 0.2,
        "top_p": 1.0,
        "n": 1,
        "stop": ["\n\n"],
        "seed": 42,
        "logprobs": false,
        "user": "user-1234",
        "stream": true,
        "stream_options": {"include_usage": true},
        "reasoning_effort": "low",
        "metadata": {"team": "search"}
    });
    assert_eq!(round_trip::<ChatCompletionRequest>(&request), request);
}

#[test]
fn tool_choice_forms_all_decode() {
    for choice in [
        json!("none"),
        json!("required"),
        json!({"type": "function", "function": {"name": "f"}}),
        json!({"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": [{"type": "function", "function": {"name": "f"}}]}}),
        json!({"type": "custom", "custom": {"name": "g"}}),
    ] {
        let typed: ToolChoice = serde_json::from_value(choice.clone()).unwrap();
        assert_eq!(serde_json::to_value(typed).unwrap(), choice);
    }
}

#[test]
fn unknown_roles_are_refused() {
    let request = json!({"model": "m", "messages": [{"role": "robot", "content": "hi"}]});
    let error = serde_json::from_value::<ChatCompletionRequest>(request).unwrap_err();
    assert!(error.to_string().contains("robot"), "{error}");
}

#[test]
fn response_keeps_null_content_and_refusal() {
    let response = json!({
        "id": "chatcmpl-123", "object": "chat.completion", "created": 1_700_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": null, "refusal": null,
                "tool_calls": [{"id": "call_abc", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            "logprobs": null,
            "finish_reason": "tool_calls"
        }],
        "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0}},
        "service_tier": "default"
    });
    assert_eq!(round_trip::<ChatCompletion>(&response), response);
}

#[test]
fn chunk_serializes_as_the_sdk_expects() {
    let chunk = ChatCompletionChunk {
        id: "chatcmpl-1".to_owned(),
        object: "chat.completion.chunk".to_owned(),
        created: 1_700_000_000,
        model: "gw-model".to_owned(),
        choices: vec![ChunkChoice {
            index: 0,
            delta: Delta {
                tool_calls: Some(vec![ToolCallDelta {
                    index: 0,
                    function: Some(FunctionCallDelta {
                        name: None,
                        arguments: Some("{\"a\":1}".to_owned()),
                    }),
                    ..ToolCallDelta::default()
                }]),
                ..Delta::default()
            },
            logprobs: None,
            finish_reason: None,
            extra: crate::Extra::new(),
        }],
        usage: None,
        system_fingerprint: None,
        service_tier: None,
        extra: crate::Extra::new(),
    };
    assert_eq!(
        serde_json::to_string(&chunk).unwrap(),
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gw-model","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":1}"}}]},"finish_reason":null}]}"#
    );
}

#[test]
fn chunk_without_delta_reads_as_empty() {
    let chunk = json!({"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "content_filter_results": {}}]});
    let typed: ChatCompletionChunk = serde_json::from_value(chunk).unwrap();
    assert_eq!(typed.choices[0].delta, Delta::default());
    assert_eq!(typed.choices[0].finish_reason, Some(FinishReason::Stop));
    assert!(
        typed.choices[0]
            .extra
            .contains_key("content_filter_results")
    );
}

#[test]
fn unfamiliar_finish_reasons_are_kept() {
    let reason: FinishReason = serde_json::from_value(json!("eos")).unwrap();
    assert_eq!(reason, FinishReason::Other("eos".to_owned()));
    assert_eq!(serde_json::to_value(&reason).unwrap(), json!("eos"));
}
