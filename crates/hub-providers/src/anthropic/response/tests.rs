//! Answers written from Anthropic's API reference (PROTOCOLS.md 2.3), each beside the chat
//! completion OpenAI's reference says the client must read (1.2).

use serde_json::{Value, json};

use super::{completion, finish_reason};
use crate::anthropic::wire::MessageResponse;

const CREATED: u64 = 1_700_000_000;

fn translated(answer: Value) -> Value {
    let message: MessageResponse = serde_json::from_value(answer).unwrap();
    serde_json::to_value(completion(message, CREATED)).unwrap()
}

#[test]
fn text_and_tool_use_become_content_and_tool_calls() {
    let anthropic = json!({
        "id": "msg_01XYZ", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}
        ],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 25, "output_tokens": 12,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    });

    let openai = json!({
        "id": "msg_01XYZ",
        "object": "chat.completion",
        "created": CREATED,
        "model": "claude-sonnet-4-5",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": "Checking.", "refusal": null,
                "tool_calls": [{"id": "toolu_01", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            "logprobs": null,
            "finish_reason": "tool_calls"
        }],
        "usage": {"prompt_tokens": 25, "completion_tokens": 12, "total_tokens": 37,
                  "prompt_tokens_details": {"cached_tokens": 0}}
    });
    assert_eq!(translated(anthropic), openai);
}

#[test]
fn several_text_blocks_join_and_blocks_without_an_equivalent_are_left_out() {
    let anthropic = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Hello, "},
            {"type": "text", "text": "world", "citations": []}
        ],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 3, "output_tokens": 2}
    });

    let message = &translated(anthropic)["choices"][0]["message"];
    assert_eq!(
        *message,
        json!({"role": "assistant", "content": "Hello, world", "refusal": null})
    );
}

#[test]
fn an_answer_of_tool_calls_only_has_null_content() {
    let anthropic = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "now", "input": {}}],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 3, "output_tokens": 2}
    });

    let message = &translated(anthropic)["choices"][0]["message"];
    assert_eq!(message["content"], Value::Null);
    assert_eq!(message["tool_calls"][0]["function"]["arguments"], "{}");
}

#[test]
fn cached_prompt_tokens_count_in_the_prompt() {
    let anthropic = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [{"type": "text", "text": "ok"}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 4,
                  "cache_creation_input_tokens": 100, "cache_read_input_tokens": 1000}
    });

    assert_eq!(
        translated(anthropic)["usage"],
        json!({"prompt_tokens": 1110, "completion_tokens": 4, "total_tokens": 1114,
               "prompt_tokens_details": {"cached_tokens": 1000, "cache_creation_tokens": 100}})
    );
}

#[test]
fn every_stop_reason_has_its_finish_reason() {
    let cases = [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("pause_turn", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("something_new", "something_new"),
    ];
    for (stop_reason, expected) in cases {
        assert_eq!(
            finish_reason(stop_reason).as_str(),
            expected,
            "{stop_reason}"
        );
    }
}

#[test]
fn a_refusal_keeps_what_was_said_and_reads_as_filtered() {
    let anthropic = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [{"type": "text", "text": "I can't help with that."}],
        "stop_reason": "refusal", "stop_sequence": null,
        "usage": {"input_tokens": 3, "output_tokens": 6}
    });

    let choice = &translated(anthropic)["choices"][0];
    assert_eq!(choice["finish_reason"], "content_filter");
    assert_eq!(choice["message"]["content"], "I can't help with that.");
}
