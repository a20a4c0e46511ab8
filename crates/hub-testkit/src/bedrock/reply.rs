//! The deterministic "model" behind the Bedrock emulator.
//!
//! It echoes the last user text (`Echo: <text>`), so a test can tell that the right message
//! arrived. It calls a tool instead when `toolChoice` is `any` (the first tool) or `tool`
//! (that one), or when tools are offered, the last message is the user's own words (no tool
//! result beside them), and those words mention "weather". Structured output answers with
//! JSON built from the schema. Stop sequences and `maxTokens` cut the echo as Bedrock
//! reports them: `stop_sequence`, `max_tokens`, else `end_turn`.

use serde_json::Value;

use super::conversation::{Conversation, ToolChoice, ToolSpec};
use crate::chat::{example_object, mentions_weather};
use crate::tokens;

/// What the model answers.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Answer {
    Text {
        text: String,
        stop_reason: &'static str,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

impl Answer {
    pub(super) fn stop_reason(&self) -> &'static str {
        match self {
            Answer::Text { stop_reason, .. } => stop_reason,
            Answer::ToolUse { .. } => "tool_use",
        }
    }

    /// Tokens the answer cost: its words, or at least one for a tool call.
    pub(super) fn output_tokens(&self) -> usize {
        match self {
            Answer::Text { text, .. } => tokens::count(text),
            Answer::ToolUse { input, .. } => tokens::count(&input.to_string()).max(1),
        }
    }
}

pub(super) fn answer(conversation: &Conversation<'_>, serial: u64) -> Answer {
    if let Some(tool) = chosen_tool(conversation) {
        return Answer::ToolUse {
            id: format!("tooluse_mock{serial:06}"),
            name: tool.name.to_owned(),
            input: Value::Object(example_object(Some(tool.schema))),
        };
    }

    let full = match &conversation.output_schema {
        Some(schema) => Value::Object(example_object(Some(schema))).to_string(),
        None => format!("Echo: {}", last_user_text(conversation.messages)),
    };
    text(&full, conversation)
}

/// Tokens of the prompt: the words of the system blocks and of every text in the messages.
pub(super) fn input_tokens(conversation: &Conversation<'_>) -> usize {
    let system: usize = conversation
        .system
        .iter()
        .map(|text| tokens::count(text))
        .sum();
    let messages: usize = conversation
        .messages
        .iter()
        .flat_map(blocks)
        .map(|block| {
            let text = block
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let result = block
                .pointer("/toolResult/content")
                .and_then(Value::as_array)
                .map(|content| content.iter().filter_map(|c| c.get("text")?.as_str()))
                .map(|texts| texts.map(tokens::count).sum())
                .unwrap_or(0);
            tokens::count(text) + result
        })
        .sum();
    system + messages
}

fn text(full: &str, conversation: &Conversation<'_>) -> Answer {
    let (text, mut stop_reason) = match tokens::cut_at_stop(full, &conversation.stop_sequences) {
        Some(cut) => (cut, "stop_sequence"),
        None => (full.to_owned(), "end_turn"),
    };
    let text = match conversation
        .max_tokens
        .and_then(|limit| tokens::truncate(&text, limit))
    {
        Some(cut) => {
            stop_reason = "max_tokens";
            cut
        }
        None => text,
    };
    Answer::Text { text, stop_reason }
}

fn blocks(message: &Value) -> &[Value] {
    message
        .get("content")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

fn role(message: &Value) -> &str {
    message
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The text blocks of the latest user message that has any, joined by spaces.
fn last_user_text(messages: &[Value]) -> String {
    messages
        .iter()
        .rev()
        .filter(|message| role(message) == "user")
        .map(|message| {
            let texts: Vec<&str> = blocks(message)
                .iter()
                .filter_map(|block| block.get("text")?.as_str())
                .collect();
            texts.join(" ")
        })
        .find(|text| !text.is_empty())
        .unwrap_or_default()
}

fn chosen_tool<'c>(conversation: &'c Conversation<'_>) -> Option<&'c ToolSpec<'c>> {
    match conversation.tool_choice {
        ToolChoice::Any => conversation.tools.first(),
        ToolChoice::Tool(name) => conversation.tools.iter().find(|tool| tool.name == name),
        ToolChoice::Auto => {
            // After a tool result the model answers in text, or an agent loop would never end.
            let last = conversation.messages.last()?;
            let own_words = role(last) == "user"
                && !blocks(last)
                    .iter()
                    .any(|block| block.get("toolResult").is_some());
            let asks_weather = mentions_weather(&last_user_text(conversation.messages));
            (own_words && asks_weather)
                .then(|| conversation.tools.first())
                .flatten()
        }
    }
}
