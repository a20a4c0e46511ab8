//! Whole (not streamed) chat completions: exact bodies, truncation, tool calls, JSON output.

use std::time::{SystemTime, UNIX_EPOCH};

use hub_testkit::OpenAiMock;
use serde_json::{Value, json};

use crate::client::{self, chat_body};

/// Copies the fields that change between runs from `actual` into `expected`, after checking
/// their shape.
fn with_run_fields(mut expected: Value, actual: &Value) -> Value {
    let id = actual["id"].as_str().expect("an id");
    assert!(id.starts_with("chatcmpl-"), "{id}");
    let created = actual["created"].as_u64().expect("a creation time");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a sane clock")
        .as_secs();
    assert!(now.abs_diff(created) < 60, "created {created} is now");

    expected["id"] = actual["id"].clone();
    expected["created"] = actual["created"].clone();
    expected
}

#[tokio::test]
async fn a_reply_echoes_the_last_user_message() {
    let mock = client::mock().await;
    let body = json!({"model": "gpt-4o", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello there"},
        {"role": "assistant", "content": "Hi."},
        {"role": "user", "content": [
            {"type": "text", "text": "How"},
            {"type": "text", "text": "are you?"}
        ]}
    ]});

    let reply = client::post(&mock, "/v1/chat/completions", &body).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "application/json");
    let actual = reply.json();
    let expected = json!({
        "object": "chat.completion",
        "model": "gpt-4o-2024-08-06",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Echo: How are you?",
                "refusal": null,
                "annotations": []
            },
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {
            "prompt_tokens": 8,
            "completion_tokens": 4,
            "total_tokens": 12,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0}
        },
        "service_tier": "default",
        "system_fingerprint": "fp_mock"
    });
    assert_eq!(actual, with_run_fields(expected, &actual));
}

#[tokio::test]
async fn ids_are_unique_per_response() {
    let mock = client::mock().await;

    let first = client::post(&mock, "/v1/chat/completions", &chat_body("gpt-4o", "a"))
        .await
        .json();
    let second = client::post(&mock, "/v1/chat/completions", &chat_body("gpt-4o", "a"))
        .await
        .json();

    assert_ne!(first["id"], second["id"]);
}

#[tokio::test]
async fn n_choices_share_one_reply_and_usage_counts_them_all() {
    let mock = client::mock().await;
    let mut body = chat_body("gpt-4o-mini", "one two three");
    body["n"] = json!(3);

    let reply = client::post(&mock, "/v1/chat/completions", &body)
        .await
        .json();

    let choices = reply["choices"].as_array().expect("choices");
    let indexes: Vec<&Value> = choices.iter().map(|choice| &choice["index"]).collect();
    assert_eq!(indexes, [0, 1, 2]);
    assert!(
        choices
            .iter()
            .all(|choice| choice["message"]["content"] == "Echo: one two three")
    );
    assert_eq!(reply["usage"]["completion_tokens"], 12);
    assert_eq!(reply["model"], "gpt-4o-mini-2024-08-06");
}

#[tokio::test]
async fn a_token_limit_cuts_the_reply() {
    let mock = client::mock().await;
    let mut body = chat_body("gpt-4o", "one two three four");
    body["max_completion_tokens"] = json!(3);

    let reply = client::post(&mock, "/v1/chat/completions", &body)
        .await
        .json();

    assert_eq!(reply["choices"][0]["message"]["content"], "Echo: one two");
    assert_eq!(reply["choices"][0]["finish_reason"], "length");
    assert_eq!(reply["usage"]["completion_tokens"], 3);
}

#[tokio::test]
async fn a_stop_sequence_ends_the_reply_before_it() {
    let mock = client::mock().await;
    let mut body = chat_body("gpt-4o", "one two three");
    body["stop"] = json!(["three"]);

    let reply = client::post(&mock, "/v1/chat/completions", &body)
        .await
        .json();

    assert_eq!(reply["choices"][0]["message"]["content"], "Echo: one two ");
    assert_eq!(reply["choices"][0]["finish_reason"], "stop");
}

fn weather_tool() -> Value {
    json!([{"type": "function", "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"]
        }
    }}])
}

#[tokio::test]
async fn asking_about_weather_calls_the_tool() {
    let mock = client::mock().await;
    let mut body = chat_body("gpt-4o", "What's the weather in Paris?");
    body["tools"] = weather_tool();

    let reply = client::post(&mock, "/v1/chat/completions", &body)
        .await
        .json();

    let choice = &reply["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], json!(null));
    let call = &choice["message"]["tool_calls"][0];
    assert!(
        call["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("call_")),
        "{call}"
    );
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    let arguments = call["function"]["arguments"]
        .as_str()
        .expect("arguments are a string");
    let arguments: Value = serde_json::from_str(arguments).expect("arguments are JSON");
    assert_eq!(arguments, json!({"city": "example", "unit": "celsius"}));
}

async fn finish_reason(mock: &OpenAiMock, tool_choice: Value, text: &str) -> Value {
    let mut body = chat_body("gpt-4o", text);
    body["tools"] = weather_tool();
    body["tool_choice"] = tool_choice;
    let reply = client::post(mock, "/v1/chat/completions", &body)
        .await
        .json();
    reply["choices"][0]["finish_reason"].clone()
}

#[tokio::test]
async fn tool_choice_decides_whether_a_tool_is_called() {
    let mock = client::mock().await;
    let named = json!({"type": "function", "function": {"name": "get_weather"}});

    assert_eq!(
        finish_reason(&mock, json!("required"), "hello").await,
        "tool_calls"
    );
    assert_eq!(finish_reason(&mock, named, "hello").await, "tool_calls");
    assert_eq!(finish_reason(&mock, json!("auto"), "hello").await, "stop");
    assert_eq!(
        finish_reason(&mock, json!("none"), "weather please").await,
        "stop"
    );
}

#[tokio::test]
async fn after_a_tool_result_the_model_answers_in_text() {
    let mock = client::mock().await;
    let body = json!({
        "model": "gpt-4o",
        "tools": weather_tool(),
        "messages": [
            {"role": "user", "content": "weather in Paris?"},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "rainy"}
        ]
    });

    let reply = client::post(&mock, "/v1/chat/completions", &body)
        .await
        .json();

    assert_eq!(reply["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        reply["choices"][0]["message"]["content"],
        "Echo: weather in Paris?"
    );
}

#[tokio::test]
async fn structured_output_is_json_that_fits_the_schema() {
    let mock = client::mock().await;
    let mut body = chat_body("gpt-4o", "hi");
    body["response_format"] = json!({"type": "json_schema", "json_schema": {
        "name": "answer",
        "schema": {
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"]
        }
    }});

    let reply = client::post(&mock, "/v1/chat/completions", &body)
        .await
        .json();

    let content = reply["choices"][0]["message"]["content"]
        .as_str()
        .expect("content");
    assert_eq!(
        serde_json::from_str::<Value>(content).expect("JSON content"),
        json!({"text": "example"})
    );
}
