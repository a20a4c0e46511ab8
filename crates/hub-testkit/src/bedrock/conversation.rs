//! A Converse request checked member by member and reduced to what shapes the reply.
//!
//! The checks follow botocore's service model (member names, unions with exactly one member,
//! ranges) and the rules Bedrock enforces on a conversation: it starts with a user message,
//! roles alternate, no block is empty, tool calls are answered in the next message, and tool
//! blocks need a `toolConfig`. Content Hub never sends (documents, video, guard content...)
//! is refused by name rather than half checked.

use serde_json::{Map, Value};

use self::content::{Block, content_block, text};
use self::tools::{output_schema, tool_config};
use super::error::AwsError;

mod content;
mod tools;

const REQUEST_MEMBERS: [&str; 12] = [
    "messages",
    "system",
    "inferenceConfig",
    "toolConfig",
    "guardrailConfig",
    "additionalModelRequestFields",
    "additionalModelResponseFieldPaths",
    "promptVariables",
    "requestMetadata",
    "performanceConfig",
    "serviceTier",
    "outputConfig",
];

/// The parts of a valid Converse request the emulator acts on.
#[derive(Debug)]
pub(super) struct Conversation<'a> {
    pub(super) messages: &'a [Value],
    pub(super) system: Vec<&'a str>,
    pub(super) max_tokens: Option<usize>,
    pub(super) stop_sequences: Vec<&'a str>,
    pub(super) tools: Vec<ToolSpec<'a>>,
    pub(super) tool_choice: ToolChoice<'a>,
    /// The JSON schema of structured output, when asked for.
    pub(super) output_schema: Option<Value>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct ToolSpec<'a> {
    pub(super) name: &'a str,
    pub(super) schema: &'a Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ToolChoice<'a> {
    Auto,
    Any,
    Tool(&'a str),
}

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::validation(message)
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, AwsError> {
    value
        .as_object()
        .ok_or_else(|| invalid(format!("{path} must be a structure.")))
}

fn only_members(map: &Map<String, Value>, path: &str, allowed: &[&str]) -> Result<(), AwsError> {
    match map.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(invalid(format!("Unknown member '{key}' in {path}."))),
        None => Ok(()),
    }
}

/// A union: exactly one member, among `known`.
fn union<'a>(
    value: &'a Value,
    path: &str,
    known: &[&str],
) -> Result<(&'a str, &'a Value), AwsError> {
    let map = object(value, path)?;
    let mut members = map.iter();
    let (Some((name, inner)), None) = (members.next(), members.next()) else {
        return Err(invalid(format!(
            "{path} must set exactly one member of the union, {} were set.",
            map.len()
        )));
    };
    if !known.contains(&name.as_str()) {
        return Err(invalid(format!(
            "{path}.{name} is not supported by this emulator."
        )));
    }
    Ok((name, inner))
}

fn string<'a>(map: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str, AwsError> {
    map.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("{path}.{key} is required and must be a string.")))
}

impl<'a> Conversation<'a> {
    pub(super) fn parse(body: &'a Map<String, Value>) -> Result<Self, AwsError> {
        only_members(body, "the request", &REQUEST_MEMBERS)?;
        let messages = body
            .get("messages")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("messages is required and must be a list."))?;
        let holds_tool_blocks = check_messages(messages)?;

        let tools = match body.get("toolConfig") {
            Some(config) => tool_config(config)?,
            None if holds_tool_blocks => {
                return Err(invalid(
                    "The toolConfig field must be defined when using toolUse and toolResult \
                     content blocks.",
                ));
            }
            None => (Vec::new(), ToolChoice::Auto),
        };
        let (max_tokens, stop_sequences) = inference_config(body.get("inferenceConfig"))?;

        Ok(Conversation {
            messages,
            system: system(body.get("system"))?,
            max_tokens,
            stop_sequences,
            tools: tools.0,
            tool_choice: tools.1,
            output_schema: output_schema(body.get("outputConfig"))?,
        })
    }
}

/// Checks every message; returns whether any holds a tool block.
fn check_messages(messages: &[Value]) -> Result<bool, AwsError> {
    let mut holds_tool_blocks = false;
    let mut open_calls: Vec<&str> = Vec::new();

    for (index, message) in messages.iter().enumerate() {
        let path = format!("messages.{index}");
        let map = object(message, &path)?;
        only_members(map, &path, &["role", "content"])?;
        let role = string(map, "role", &path)?;
        check_turn(index, role, messages)?;

        let content = map
            .get("content")
            .and_then(Value::as_array)
            .filter(|content| !content.is_empty())
            .ok_or_else(|| {
                invalid(format!(
                    "The content field in the Message object at {path} is empty. Add a \
                     ContentBlock object to the content field and try again."
                ))
            })?;

        let mut uses = Vec::new();
        let mut results = Vec::new();
        for (block_index, block) in content.iter().enumerate() {
            let path = format!("{path}.content.{block_index}");
            match content_block(block, role, &path)? {
                Block::ToolUse(id) => uses.push(id),
                Block::ToolResult(id) => results.push(id),
                Block::Other => {}
            }
        }
        holds_tool_blocks |= !uses.is_empty() || !results.is_empty();
        answer_calls(&path, &open_calls, &results)?;
        open_calls = uses;
    }
    Ok(holds_tool_blocks)
}

fn check_turn(index: usize, role: &str, messages: &[Value]) -> Result<(), AwsError> {
    if role != "user" && role != "assistant" {
        return Err(invalid(format!(
            "Value '{role}' at 'messages.{index}.role' failed to satisfy constraint: Member must \
             satisfy enum value set: [user, assistant]"
        )));
    }
    if index == 0 && role != "user" {
        return Err(invalid(
            "A conversation must start with a user message. Try again with a conversation \
             that starts with a user message.",
        ));
    }
    let previous = index
        .checked_sub(1)
        .and_then(|previous| messages[previous].get("role"))
        .and_then(Value::as_str);
    if previous == Some(role) {
        return Err(invalid(
            "A conversation must alternate between user and assistant roles. Make sure the \
             conversation alternates between user and assistant roles and try again.",
        ));
    }
    Ok(())
}

/// Every call of the previous turn must be answered here, and nothing else.
fn answer_calls(path: &str, open_calls: &[&str], results: &[&str]) -> Result<(), AwsError> {
    let unanswered: Vec<&str> = open_calls
        .iter()
        .filter(|id| !results.contains(id))
        .copied()
        .collect();
    if !unanswered.is_empty() {
        return Err(invalid(format!(
            "Expected toolResult blocks at {path}.content for the following Ids: {}",
            unanswered.join(", ")
        )));
    }
    if let Some(stray) = results.iter().find(|id| !open_calls.contains(id)) {
        return Err(invalid(format!(
            "The toolResult block with toolUseId '{stray}' at {path}.content does not answer \
             a toolUse block of the previous turn."
        )));
    }
    Ok(())
}

fn system(value: Option<&Value>) -> Result<Vec<&str>, AwsError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let blocks = value
        .as_array()
        .ok_or_else(|| invalid("system must be a list."))?;
    let mut texts = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        let path = format!("system.{index}");
        let (kind, inner) = union(block, &path, &["text", "cachePoint"])?;
        if kind == "text" {
            texts.push(text(inner, &format!("{path}.text"))?);
        }
    }
    Ok(texts)
}

fn inference_config(value: Option<&Value>) -> Result<(Option<usize>, Vec<&str>), AwsError> {
    let Some(value) = value else {
        return Ok((None, Vec::new()));
    };
    let path = "inferenceConfig";
    let map = object(value, path)?;
    only_members(
        map,
        path,
        &["maxTokens", "temperature", "topP", "stopSequences"],
    )?;

    for key in ["temperature", "topP"] {
        if let Some(number) = map.get(key) {
            let in_range = number.as_f64().is_some_and(|n| (0.0..=1.0).contains(&n));
            if !in_range {
                return Err(invalid(format!(
                    "Value '{number}' at '{path}.{key}' failed to satisfy constraint: Member \
                     must be between 0 and 1."
                )));
            }
        }
    }
    let max_tokens = match map.get("maxTokens") {
        None => None,
        Some(value) => match value.as_u64().filter(|tokens| *tokens >= 1) {
            Some(tokens) => Some(usize::try_from(tokens).unwrap_or(usize::MAX)),
            None => {
                return Err(invalid(format!(
                    "Value '{value}' at '{path}.maxTokens' failed to satisfy constraint: \
                     Member must have value greater than or equal to 1"
                )));
            }
        },
    };

    let stop = match map.get("stopSequences") {
        None => Vec::new(),
        Some(value) => value
            .as_array()
            .and_then(|items| items.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
            .ok_or_else(|| invalid(format!("{path}.stopSequences must be a list of strings.")))?,
    };
    Ok((max_tokens, stop))
}

#[cfg(test)]
mod tests;
