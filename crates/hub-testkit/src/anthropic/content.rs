//! The `messages` array and its content blocks, checked as the Messages API checks them:
//! only `user` and `assistant` roles, the blocks each role may send, no empty turns, and
//! every `tool_use` answered by a `tool_result` in the turn right after it.
//!
//! Consecutive messages of one role are combined into one turn first, as the API does.

use base64::Engine;
use serde_json::Value;

use super::error::ApiError;
use super::fields::{Fields, is_identifier};

const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];
const USER_BLOCKS: [&str; 4] = ["text", "image", "document", "tool_result"];
const ASSISTANT_BLOCKS: [&str; 4] = ["text", "tool_use", "thinking", "redacted_thinking"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    User,
    Assistant,
}

/// What the reply needs of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block<'a> {
    Text(&'a str),
    ToolUse {
        id: &'a str,
    },
    ToolResult {
        tool_use_id: &'a str,
        text: String,
    },
    /// Images, documents and thinking: accepted, and read by no one.
    Other,
}

/// One turn after combining: its role, its blocks, and the index of its first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Turn<'a> {
    pub(crate) role: Role,
    pub(crate) blocks: Vec<Block<'a>>,
    pub(crate) first: usize,
}

impl Turn<'_> {
    /// The turn's text blocks, joined by spaces.
    pub(crate) fn text(&self) -> String {
        let texts: Vec<&str> = self
            .blocks
            .iter()
            .filter_map(|block| match block {
                Block::Text(text) => Some(*text),
                _ => None,
            })
            .collect();
        texts.join(" ")
    }

    fn tool_use_ids(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .filter_map(|block| match block {
                Block::ToolUse { id } => Some(*id),
                _ => None,
            })
            .collect()
    }

    fn tool_result_ids(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .filter_map(|block| match block {
                Block::ToolResult { tool_use_id, .. } => Some(*tool_use_id),
                _ => None,
            })
            .collect()
    }
}

/// Checks `messages` and returns the combined turns.
pub(crate) fn turns<'a>(root: &Fields<'a>) -> Result<Vec<Turn<'a>>, ApiError> {
    let messages = root
        .array("messages")?
        .ok_or_else(|| ApiError::invalid("messages: Field required"))?;
    if messages.is_empty() {
        return Err(ApiError::invalid(
            "messages: at least one message is required",
        ));
    }

    let mut turns: Vec<Turn<'a>> = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let (role, blocks) = message_blocks(message, index)?;
        match turns.last_mut() {
            Some(last) if last.role == role => last.blocks.extend(blocks),
            _ => turns.push(Turn {
                role,
                blocks,
                first: index,
            }),
        }
    }

    check_not_empty(&turns)?;
    check_tool_pairs(&turns)?;
    Ok(turns)
}

fn message_blocks(message: &Value, index: usize) -> Result<(Role, Vec<Block<'_>>), ApiError> {
    let message = Fields::of(message, format!("messages.{index}"))?;
    message.only(&["role", "content"])?;
    if message.str("role")? == Some("system") {
        return Err(ApiError::invalid(
            "Unexpected role \"system\". The Messages API accepts a top-level `system` \
             parameter, not \"system\" as an input message role.",
        ));
    }
    let role = match message.require_one_of("role", &["user", "assistant"])? {
        "user" => Role::User,
        _ => Role::Assistant,
    };

    let content = message.require("content")?;
    let blocks = match content {
        Value::String(text) if text.is_empty() => Vec::new(),
        Value::String(text) => vec![Block::Text(text)],
        Value::Array(blocks) => blocks
            .iter()
            .enumerate()
            .map(|(position, block)| {
                let block = Fields::of(block, format!("{}.{position}", message.path("content")))?;
                content_block(&block, role)
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(ApiError::invalid(format!(
                "{}: Input should be a valid string or a valid list",
                message.path("content")
            )));
        }
    };
    Ok((role, blocks))
}

fn content_block<'a>(block: &Fields<'a>, role: Role) -> Result<Block<'a>, ApiError> {
    let allowed: &[&str] = match role {
        Role::User => &USER_BLOCKS,
        Role::Assistant => &ASSISTANT_BLOCKS,
    };
    match block.require_one_of("type", allowed)? {
        "text" => text(block),
        "image" => {
            block.only(&["type", "source", "cache_control"])?;
            image_source(&block.require_object("source")?)?;
            Ok(Block::Other)
        }
        "document" => {
            block.only(&[
                "type",
                "source",
                "title",
                "context",
                "citations",
                "cache_control",
            ])?;
            block.require_object("source")?;
            Ok(Block::Other)
        }
        "tool_use" => tool_use(block),
        "tool_result" => tool_result(block),
        "thinking" => {
            block.only(&["type", "thinking", "signature"])?;
            block.require_str("thinking")?;
            block.require_str("signature")?;
            Ok(Block::Other)
        }
        _ => {
            block.only(&["type", "data"])?;
            block.require_str("data")?;
            Ok(Block::Other)
        }
    }
}

fn text<'a>(block: &Fields<'a>) -> Result<Block<'a>, ApiError> {
    block.only(&["type", "text", "cache_control", "citations"])?;
    let text = block.require_str("text")?;
    if text.is_empty() {
        return Err(ApiError::invalid(format!(
            "{}: text content blocks must be non-empty",
            block.here()
        )));
    }
    Ok(Block::Text(text))
}

fn image_source(source: &Fields<'_>) -> Result<(), ApiError> {
    if source.require_one_of("type", &["base64", "url"])? == "url" {
        source.only(&["type", "url"])?;
        let url = source.require_str("url")?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ApiError::invalid(format!(
                "{}: Input should be a valid URL",
                source.path("url")
            )));
        }
        return Ok(());
    }

    source.only(&["type", "media_type", "data"])?;
    source.require_one_of("media_type", &IMAGE_TYPES)?;
    let data = source.require_str("data")?;
    if base64::engine::general_purpose::STANDARD
        .decode(data)
        .is_err()
    {
        return Err(ApiError::invalid(format!(
            "{}: The image data is not valid base64.",
            source.path("data")
        )));
    }
    Ok(())
}

fn tool_use<'a>(block: &Fields<'a>) -> Result<Block<'a>, ApiError> {
    block.only(&["type", "id", "name", "input", "cache_control"])?;
    let id = block.require_str("id")?;
    if !is_identifier(id, 256) {
        return Err(ApiError::invalid(format!(
            "{}: String should match pattern '^[a-zA-Z0-9_-]+$'",
            block.path("id")
        )));
    }
    block.require_str("name")?;
    block.require_object("input")?;
    Ok(Block::ToolUse { id })
}

fn tool_result<'a>(block: &Fields<'a>) -> Result<Block<'a>, ApiError> {
    block.only(&[
        "type",
        "tool_use_id",
        "content",
        "is_error",
        "cache_control",
    ])?;
    let tool_use_id = block.require_str("tool_use_id")?;
    block.bool("is_error")?;

    let text = match block.get("content") {
        None => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => {
            let mut texts = Vec::new();
            for (index, part) in parts.iter().enumerate() {
                let part = Fields::of(part, format!("{}.{index}", block.path("content")))?;
                match part.require_one_of("type", &["text", "image"])? {
                    "text" => {
                        if let Block::Text(text) = text(&part)? {
                            texts.push(text);
                        }
                    }
                    _ => {
                        part.only(&["type", "source", "cache_control"])?;
                        image_source(&part.require_object("source")?)?;
                    }
                }
            }
            texts.join(" ")
        }
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "{}: Input should be a valid string or a valid list",
                block.path("content")
            )));
        }
    };
    Ok(Block::ToolResult { tool_use_id, text })
}

/// Every turn holds content, except a final assistant turn, which the model continues.
fn check_not_empty(turns: &[Turn<'_>]) -> Result<(), ApiError> {
    let last = turns.len() - 1;
    for (position, turn) in turns.iter().enumerate() {
        let prefill = position == last && turn.role == Role::Assistant;
        if turn.blocks.is_empty() && !prefill {
            return Err(ApiError::invalid(format!(
                "messages.{}: all messages must have non-empty content except for the \
                 optional final assistant message",
                turn.first
            )));
        }
    }
    Ok(())
}

/// Tool calls and their results pair up across adjacent turns, and results lead their turn.
fn check_tool_pairs(turns: &[Turn<'_>]) -> Result<(), ApiError> {
    for (position, turn) in turns.iter().enumerate() {
        let called = turn.tool_use_ids();
        if turn.role == Role::Assistant && !called.is_empty() {
            let answered = turns
                .get(position + 1)
                .map(Turn::tool_result_ids)
                .unwrap_or_default();
            let missing: Vec<&str> = called
                .into_iter()
                .filter(|id| !answered.contains(id))
                .collect();
            if !missing.is_empty() {
                return Err(ApiError::invalid(format!(
                    "messages.{}: `tool_use` ids were found without `tool_result` blocks \
                     immediately after: {}. Each `tool_use` block must have a corresponding \
                     `tool_result` block in the next message.",
                    turn.first,
                    missing.join(", ")
                )));
            }
        }

        if turn.role == Role::User {
            check_results(turns, position)?;
        }
    }
    Ok(())
}

fn check_results(turns: &[Turn<'_>], position: usize) -> Result<(), ApiError> {
    let turn = &turns[position];
    let called = position
        .checked_sub(1)
        .map(|previous| turns[previous].tool_use_ids())
        .unwrap_or_default();
    if let Some(unexpected) = turn
        .tool_result_ids()
        .into_iter()
        .find(|id| !called.contains(id))
    {
        return Err(ApiError::invalid(format!(
            "messages.{}: unexpected `tool_use_id` found in `tool_result` blocks: {unexpected}. \
             Each `tool_result` block must have a corresponding `tool_use` block in the \
             previous message.",
            turn.first
        )));
    }

    let results = turn.tool_result_ids().len();
    let leading = turn
        .blocks
        .iter()
        .take_while(|block| matches!(block, Block::ToolResult { .. }))
        .count();
    if leading != results {
        return Err(ApiError::invalid(format!(
            "messages.{}: `tool_result` blocks must come before any other content in a user \
             message",
            turn.first
        )));
    }
    Ok(())
}
