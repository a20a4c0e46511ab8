//! The blocks of a message: text, images, tool calls and tool results, each where its role
//! allows it.

use serde_json::Value;

use super::{invalid, object, only_members, string, union};
use crate::bedrock::error::AwsError;

pub(super) enum Block<'a> {
    ToolUse(&'a str),
    ToolResult(&'a str),
    Other,
}

pub(super) fn content_block<'a>(
    block: &'a Value,
    role: &str,
    path: &str,
) -> Result<Block<'a>, AwsError> {
    let known = ["text", "image", "toolUse", "toolResult", "cachePoint"];
    let (kind, inner) = union(block, path, &known)?;
    let misplaced = |allowed: &str| {
        invalid(format!(
            "{path}.{kind} is only allowed in a message whose role is {allowed}."
        ))
    };

    match kind {
        "text" => text(inner, &format!("{path}.text")).map(|_| Block::Other),
        "image" if role == "user" => image(inner, &format!("{path}.image")).map(|()| Block::Other),
        "image" => Err(misplaced("user")),
        "toolUse" if role == "assistant" => {
            let map = object(inner, &format!("{path}.toolUse"))?;
            only_members(map, path, &["toolUseId", "name", "input"])?;
            string(map, "name", path)?;
            map.get("input")
                .ok_or_else(|| invalid(format!("{path}.toolUse.input is required.")))?;
            string(map, "toolUseId", path).map(Block::ToolUse)
        }
        "toolUse" => Err(misplaced("assistant")),
        "toolResult" if role == "user" => tool_result(inner, path).map(Block::ToolResult),
        "toolResult" => Err(misplaced("user")),
        _ => Ok(Block::Other),
    }
}

pub(super) fn text<'a>(value: &'a Value, path: &str) -> Result<&'a str, AwsError> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid(format!("{path} must be a string.")))?;
    if text.trim().is_empty() {
        return Err(invalid(format!(
            "The text field in the ContentBlock object at {path} is blank. Add text to the \
             text field, and try again."
        )));
    }
    Ok(text)
}

fn image(value: &Value, path: &str) -> Result<(), AwsError> {
    let map = object(value, path)?;
    only_members(map, path, &["format", "source"])?;
    let format = string(map, "format", path)?;
    if !["png", "jpeg", "gif", "webp"].contains(&format) {
        return Err(invalid(format!(
            "Value '{format}' at '{path}.format' failed to satisfy constraint: Member must \
             satisfy enum value set: [png, jpeg, gif, webp]"
        )));
    }

    let source = map
        .get("source")
        .ok_or_else(|| invalid(format!("{path}.source is required.")))?;
    let (_, bytes) = union(source, &format!("{path}.source"), &["bytes"])?;
    let decoded = bytes.as_str().and_then(|bytes| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(bytes).ok()
    });
    match decoded {
        Some(bytes) if !bytes.is_empty() => Ok(()),
        _ => Err(invalid(format!(
            "{path}.source.bytes must be non-empty base64."
        ))),
    }
}

fn tool_result<'a>(value: &'a Value, path: &str) -> Result<&'a str, AwsError> {
    let path = format!("{path}.toolResult");
    let map = object(value, &path)?;
    only_members(map, &path, &["toolUseId", "content", "status"])?;
    if let Some(status) = map.get("status")
        && !matches!(status.as_str(), Some("success" | "error"))
    {
        return Err(invalid(format!("{path}.status must be success or error.")));
    }

    let content = map
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid(format!("{path}.content is required and must be a list.")))?;
    for (index, block) in content.iter().enumerate() {
        let block_path = format!("{path}.content.{index}");
        let (kind, inner) = union(block, &block_path, &["text", "json"])?;
        if kind == "text" {
            text(inner, &format!("{block_path}.text"))?;
        }
    }
    string(map, "toolUseId", &path)
}
