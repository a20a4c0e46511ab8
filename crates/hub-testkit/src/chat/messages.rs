//! The `messages` array of a chat request: roles, content parts and tool calls.

use serde_json::Value;

use crate::error::ApiError;
use crate::validate::{Fields, empty_array, invalid_type, invalid_value};

/// Roles the API accepts; `function` is deprecated but still taken.
const ROLES: [&str; 6] = [
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

/// Content part types per role, as `ChatCompletionRequestMessage`'s variants allow them.
const TEXT_ONLY: &[&str] = &["text"];
const USER_PARTS: &[&str] = &["text", "image_url", "input_audio", "file"];
const ASSISTANT_PARTS: &[&str] = &["text", "refusal"];

/// Checks every message; the array itself must be present and non-empty.
pub(super) fn validate(fields: &Fields<'_>) -> Result<(), ApiError> {
    let value = fields.require("messages")?;
    let messages = value
        .as_array()
        .ok_or_else(|| invalid_type("messages", "an array", value))?;
    if messages.is_empty() {
        return Err(empty_array("messages"));
    }

    for (index, message) in messages.iter().enumerate() {
        let message = Fields::of(message, format!("messages[{index}]"))?;
        validate_message(&message)?;
    }
    Ok(())
}

fn validate_message(message: &Fields<'_>) -> Result<(), ApiError> {
    let role = message.require_one_of("role", &ROLES)?;
    message.string("name")?;

    match role {
        "system" | "developer" => required_content(message, TEXT_ONLY),
        "user" => required_content(message, USER_PARTS),
        "tool" => {
            message.require_string("tool_call_id")?;
            required_content(message, TEXT_ONLY)
        }
        "function" => {
            message.require_string("name")?;
            content(message, TEXT_ONLY)
        }
        _ => assistant(message),
    }
}

fn assistant(message: &Fields<'_>) -> Result<(), ApiError> {
    content(message, ASSISTANT_PARTS)?;
    message.string("refusal")?;
    tool_calls(message)?;

    let answered = ["content", "tool_calls", "function_call", "audio"]
        .iter()
        .any(|key| message.get(key).is_some());
    if answered {
        Ok(())
    } else {
        Err(ApiError::missing(&message.param("content")))
    }
}

fn tool_calls(message: &Fields<'_>) -> Result<(), ApiError> {
    let Some(calls) = message.array("tool_calls")? else {
        return Ok(());
    };

    for (index, call) in calls.iter().enumerate() {
        let call = Fields::of(call, format!("{}[{index}]", message.param("tool_calls")))?;
        call.require_string("id")?;
        call.require_one_of("type", &["function"])?;
        let function = call.require_object("function")?;
        function.require_string("name")?;
        function.require_string("arguments")?;
    }
    Ok(())
}

fn required_content(message: &Fields<'_>, allowed: &[&str]) -> Result<(), ApiError> {
    message.require("content")?;
    content(message, allowed)
}

/// `content`, when present: a string or an array of parts whose types are in `allowed`.
fn content(message: &Fields<'_>, allowed: &[&str]) -> Result<(), ApiError> {
    let param = message.param("content");
    let parts = match message.require("content") {
        Err(_) | Ok(Value::Null | Value::String(_)) => return Ok(()),
        Ok(Value::Array(parts)) => parts,
        Ok(other) => return Err(invalid_type(&param, "a string or an array", other)),
    };

    for (index, part) in parts.iter().enumerate() {
        let part = Fields::of(part, format!("{param}[{index}]"))?;
        content_part(&part, allowed)?;
    }
    Ok(())
}

fn content_part(part: &Fields<'_>, allowed: &[&str]) -> Result<(), ApiError> {
    let kind = part.require_string("type")?;
    if !allowed.contains(&kind) {
        return Err(invalid_value(&part.param("type"), kind, allowed));
    }

    match kind {
        "image_url" => {
            let image = part.require_object("image_url")?;
            image.require_string("url")?;
            image.one_of("detail", &["auto", "low", "high"])?;
        }
        "input_audio" => {
            let audio = part.require_object("input_audio")?;
            audio.require_string("data")?;
            audio.require_one_of("format", &["wav", "mp3"])?;
        }
        "file" => {
            part.require_object("file")?;
        }
        "refusal" => {
            part.require_string("refusal")?;
        }
        _ => {
            part.require_string("text")?;
        }
    }
    Ok(())
}

/// The text of a message's `content`: the string itself, or its text parts joined by spaces.
pub(super) fn text(message: &Value) -> String {
    match message.get("content") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|part| part.get("text")?.as_str())
                .collect();
            texts.join(" ")
        }
        _ => String::new(),
    }
}

/// The role of a message that already passed [`validate`].
pub(super) fn role(message: &Value) -> &str {
    message
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;

    fn check(body: Value) -> Result<(), ApiError> {
        let map: Map<String, Value> = body.as_object().cloned().expect("test bodies are objects");
        validate(&Fields::root(&map))
    }

    fn refused_param(body: Value) -> String {
        let error = check(body).expect_err("the body is invalid");
        error.param().unwrap_or_default().to_owned()
    }

    #[test]
    fn a_full_conversation_passes() {
        let body = json!({"messages": [
            {"role": "developer", "content": "Be terse."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url",
                 "image_url": {"url": "data:image/png;base64,AA==", "detail": "low"}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "done"}
        ]});
        assert_eq!(check(body), Ok(()));
    }

    #[test]
    fn each_rule_names_the_offending_field() {
        let cases = [
            (
                json!({"messages": [{"role": "robot", "content": "x"}]}),
                "messages[0].role",
            ),
            (
                json!({"messages": [{"role": "tool", "content": "x"}]}),
                "messages[0].tool_call_id",
            ),
            (
                json!({"messages": [{"role": "assistant"}]}),
                "messages[0].content",
            ),
            (
                json!({"messages": [{"role": "user"}]}),
                "messages[0].content",
            ),
            (
                json!({"messages": [{"role": "system", "content": [{"type": "image_url"}]}]}),
                "messages[0].content[0].type",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "text"}]}]}),
                "messages[0].content[0].text",
            ),
            (
                json!({"messages": [{"role": "user", "content": 3}]}),
                "messages[0].content",
            ),
            (json!({"messages": []}), "messages"),
            (json!({"messages": ["hi"]}), "messages[0]"),
        ];

        for (body, param) in cases {
            assert_eq!(refused_param(body.clone()), param, "{body}");
        }
    }

    #[test]
    fn text_joins_text_parts() {
        let message =
            json!({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]});
        assert_eq!(text(&message), "a b");
        assert_eq!(text(&json!({"content": "plain"})), "plain");
        assert_eq!(text(&json!({"content": null})), "");
    }
}
