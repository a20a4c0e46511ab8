//! What the emulator refuses in a Converse body, and what it reads from a valid one.

use serde_json::{Value, json};

use super::*;

fn parse(body: Value) -> Result<(), String> {
    let map = body.as_object().cloned().expect("test bodies are objects");
    Conversation::parse(&map)
        .map(|_| ())
        .map_err(|error| error.message)
}

fn user(text: &str) -> Value {
    json!({"role": "user", "content": [{"text": text}]})
}

fn tool_config() -> Value {
    json!({"tools": [{"toolSpec": {"name": "get_weather",
        "inputSchema": {"json": {"type": "object"}}}}]})
}

#[test]
fn a_full_tool_round_trip_passes() {
    let body = json!({
        "messages": [
            user("Weather in Paris?"),
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1",
                "name": "get_weather", "input": {"city": "Paris"}}}]},
            {"role": "user", "content": [
                {"toolResult": {"toolUseId": "t1", "content": [{"text": "rainy"}]}},
                {"text": "thanks"}]}
        ],
        "system": [{"text": "be brief"}],
        "inferenceConfig": {"maxTokens": 10, "temperature": 0.5, "topP": 1, "stopSequences": ["x"]},
        "toolConfig": tool_config()
    });
    assert_eq!(parse(body), Ok(()));
}

#[test]
fn each_rule_is_enforced() {
    let assistant = |text: &str| json!({"role": "assistant", "content": [{"text": text}]});
    let tool_use = json!({"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1",
        "name": "get_weather", "input": {}}}]});
    let cases = [
        (
            json!({"messages": [assistant("hi")]}),
            "must start with a user message",
        ),
        (
            json!({"messages": [user("a"), user("b")]}),
            "must alternate",
        ),
        (
            json!({"messages": [{"role": "system", "content": [{"text": "x"}]}]}),
            "enum value set",
        ),
        (
            json!({"messages": [{"role": "user", "content": []}]}),
            "is empty",
        ),
        (json!({"messages": [user("  ")]}), "is blank"),
        (
            json!({"messages": [{"role": "user", "content": [{"text": "a", "image": {}}]}]}),
            "exactly one",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"document": {}}]}]}),
            "not supported",
        ),
        (
            json!({"messages": [user("a"), tool_use.clone(), user("b")],
                   "toolConfig": tool_config()}),
            "Expected toolResult blocks at messages.2.content for the following Ids: t1",
        ),
        (
            json!({"messages": [user("a"), tool_use]}),
            "toolConfig field must be defined",
        ),
        (
            json!({"messages": [user("a")], "inferenceConfig": {"temperature": 1.5}}),
            "between 0 and 1",
        ),
        (
            json!({"messages": [user("a")], "inferenceConfig": {"maxTokens": 0}}),
            "greater than or equal to 1",
        ),
        (
            json!({"messages": [user("a")], "inferenceConfig": {"max_tokens": 5}}),
            "Unknown member 'max_tokens'",
        ),
        (
            json!({"messages": [user("a")], "temperature": 0.5}),
            "Unknown member 'temperature'",
        ),
        (
            json!({"messages": [user("a")], "toolConfig": {"tools": []}}),
            "at least one tool",
        ),
        (
            json!({"messages": [user("a")], "toolConfig": {"tools": tool_config()["tools"],
            "toolChoice": {"tool": {"name": "other"}}}}),
            "does not name a tool",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"image": {"format": "bmp",
            "source": {"bytes": "AAAA"}}}]}]}),
            "[png, jpeg, gif, webp]",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"image": {"format": "png",
            "source": {"bytes": "not base64!"}}}]}]}),
            "non-empty base64",
        ),
    ];

    for (body, expected) in cases {
        let error = parse(body.clone()).expect_err("the body is invalid");
        assert!(error.contains(expected), "{body}\n{error}");
    }
}

#[test]
fn structured_output_and_tool_choice_are_read() {
    let body = json!({
        "messages": [user("x")],
        "toolConfig": {"tools": tool_config()["tools"], "toolChoice": {"any": {}}},
        "outputConfig": {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {
            "schema": "{\"type\":\"object\"}"}}}}
    });
    let map = body.as_object().cloned().unwrap();
    let conversation = Conversation::parse(&map).unwrap();
    assert_eq!(conversation.tool_choice, ToolChoice::Any);
    assert_eq!(conversation.output_schema, Some(json!({"type": "object"})));
}
