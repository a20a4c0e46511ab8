//! OpenAI's `messages` as Anthropic's `system` and turns.
//!
//! Anthropic takes instructions only at the top level, has no `tool` role, and wants the
//! turns to alternate. So system and developer messages join the `system` prompt in their
//! order; a tool result becomes a `tool_result` block of a user turn; and consecutive
//! messages of one role merge into a single turn, tool results first, as Anthropic reads
//! them.

use hub_core::Error;
use hub_core::chat::{
    AssistantMessage, ChatMessage, ContentPart, ImageUrl, MessageContent, ToolCall, ToolMessage,
};
use serde_json::Value;

use super::unsupported;
use crate::anthropic::wire::{Block, ImageSource, Message, Role, System};

/// The image types Anthropic accepts inline.
const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// The whole conversation in Anthropic's shape.
#[derive(Debug)]
pub(crate) struct Conversation {
    pub(crate) system: Option<System>,
    pub(crate) messages: Vec<Message>,
}

pub(crate) fn translate(messages: Vec<ChatMessage>) -> Result<Conversation, Error> {
    let mut system = Vec::new();
    let mut turns: Vec<Message> = Vec::new();

    for (index, message) in messages.into_iter().enumerate() {
        let param = format!("messages[{index}]");
        match message {
            ChatMessage::System(message) | ChatMessage::Developer(message) => {
                system.extend(instructions(message.content, &param)?);
            }
            ChatMessage::User(message) => {
                let blocks = user_blocks(message.content, &param)?;
                if blocks.is_empty() {
                    return Err(unsupported(
                        &format!("{param}.content"),
                        "user messages must not be empty for Anthropic models",
                    ));
                }
                push(&mut turns, Role::User, blocks);
            }
            // `push` leaves out an assistant turn that said nothing: Anthropic refuses it.
            ChatMessage::Assistant(message) => {
                push(
                    &mut turns,
                    Role::Assistant,
                    assistant_blocks(message, &param)?,
                );
            }
            ChatMessage::Tool(message) => {
                push(&mut turns, Role::User, vec![tool_result(message, &param)?]);
            }
        }
    }

    if turns.is_empty() {
        return Err(unsupported(
            "messages",
            "Anthropic models need at least one user or assistant message besides the \
             system prompt",
        ));
    }
    turns.iter_mut().for_each(tool_results_first);
    Ok(Conversation {
        system: system_prompt(system),
        messages: turns,
    })
}

/// Appends `blocks` to the last turn when it has the same role, else starts a turn.
fn push(turns: &mut Vec<Message>, role: Role, blocks: Vec<Block>) {
    if blocks.is_empty() {
        return;
    }
    match turns.last_mut() {
        Some(last) if last.role == role => last.content.extend(blocks),
        _ => turns.push(Message {
            role,
            content: blocks,
        }),
    }
}

/// Anthropic reads a user turn's `tool_result` blocks only at its start.
fn tool_results_first(turn: &mut Message) {
    let (mut results, rest): (Vec<Block>, Vec<Block>) = std::mem::take(&mut turn.content)
        .into_iter()
        .partition(|block| matches!(block, Block::ToolResult { .. }));
    results.extend(rest);
    turn.content = results;
}

/// One string for a single instruction, as most clients send; text blocks for several,
/// so no separator has to be invented.
fn system_prompt(mut texts: Vec<String>) -> Option<System> {
    match texts.len() {
        0 => None,
        1 => texts.pop().map(System::Text),
        _ => Some(System::Blocks(
            texts.into_iter().map(|text| Block::Text { text }).collect(),
        )),
    }
}

/// The texts of a system or developer message.
fn instructions(content: MessageContent, param: &str) -> Result<Vec<String>, Error> {
    let texts = match content {
        MessageContent::Text(text) => vec![text],
        MessageContent::Parts(parts) => parts
            .into_iter()
            .enumerate()
            .map(|(index, part)| match part {
                ContentPart::Text(part) => Ok(part.text),
                _ => Err(unsupported(
                    &format!("{param}.content[{index}]"),
                    "system and developer messages take only text",
                )),
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(texts.into_iter().filter(|text| !text.is_empty()).collect())
}

fn user_blocks(content: MessageContent, param: &str) -> Result<Vec<Block>, Error> {
    let parts = match content {
        MessageContent::Text(text) => return Ok(text_block(text).into_iter().collect()),
        MessageContent::Parts(parts) => parts,
    };

    let mut blocks = Vec::with_capacity(parts.len());
    for (index, part) in parts.into_iter().enumerate() {
        let param = format!("{param}.content[{index}]");
        match part {
            ContentPart::Text(part) => blocks.extend(text_block(part.text)),
            ContentPart::ImageUrl(part) => blocks.push(image(part.image_url, &param)?),
            ContentPart::InputAudio(_) => {
                return Err(unsupported(
                    &param,
                    "audio input is not supported by Anthropic models",
                ));
            }
            ContentPart::File(_) => {
                return Err(unsupported(
                    &param,
                    "file parts are not supported by Hub's Anthropic provider",
                ));
            }
            ContentPart::Refusal(_) => {
                return Err(unsupported(
                    &param,
                    "refusal parts belong in assistant messages",
                ));
            }
        }
    }
    Ok(blocks)
}

/// Empty text blocks are refused by Anthropic and say nothing, so they are left out.
fn text_block(text: String) -> Option<Block> {
    (!text.is_empty()).then_some(Block::Text { text })
}

/// A data URL becomes an inline image; an http(s) URL is left for Anthropic to fetch.
/// `detail` has no equivalent and is left out: it trades cost for resolution, not meaning.
fn image(image: ImageUrl, param: &str) -> Result<Block, Error> {
    let url = image.url;
    if url.starts_with("https://") || url.starts_with("http://") {
        return Ok(Block::Image {
            source: ImageSource::Url { url },
        });
    }

    let param = format!("{param}.image_url.url");
    let (media_type, data) = url
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(','))
        .and_then(|(meta, data)| Some((meta.strip_suffix(";base64")?, data)))
        .ok_or_else(|| {
            unsupported(
                &param,
                "an image must be an http(s) URL or a base64 data URL \
                 (data:image/png;base64,...)",
            )
        })?;

    let media_type = media_type.to_ascii_lowercase();
    if !IMAGE_TYPES.contains(&media_type.as_str()) {
        return Err(unsupported(
            &param,
            format!(
                "image type `{media_type}` is not supported by Anthropic models; use JPEG, PNG, \
                 GIF or WebP"
            ),
        ));
    }
    Ok(Block::Image {
        source: ImageSource::Base64 {
            media_type,
            data: data.to_owned(),
        },
    })
}

/// Text, a refusal the assistant gave earlier (kept as what it said), and tool calls.
fn assistant_blocks(message: AssistantMessage, param: &str) -> Result<Vec<Block>, Error> {
    let mut blocks = Vec::new();
    match message.content {
        None => {}
        Some(MessageContent::Text(text)) => blocks.extend(text_block(text)),
        Some(MessageContent::Parts(parts)) => {
            for (index, part) in parts.into_iter().enumerate() {
                match part {
                    ContentPart::Text(part) => blocks.extend(text_block(part.text)),
                    ContentPart::Refusal(part) => blocks.extend(text_block(part.refusal)),
                    _ => {
                        return Err(unsupported(
                            &format!("{param}.content[{index}]"),
                            "assistant messages take only text and refusal parts",
                        ));
                    }
                }
            }
        }
    }
    blocks.extend(message.refusal.and_then(text_block));

    for (index, call) in message.tool_calls.into_iter().flatten().enumerate() {
        blocks.push(tool_use(call, &format!("{param}.tool_calls[{index}]"))?);
    }
    Ok(blocks)
}

fn tool_use(call: ToolCall, param: &str) -> Result<Block, Error> {
    if call.kind != "function" {
        return Err(unsupported(
            &format!("{param}.type"),
            "only function tool calls are supported by Anthropic models",
        ));
    }

    let input = arguments(&call.function.arguments).ok_or_else(|| {
        unsupported(
            &format!("{param}.function.arguments"),
            "tool call arguments must be a JSON object for Anthropic models",
        )
    })?;
    Ok(Block::ToolUse {
        id: call.id,
        name: call.function.name,
        input,
    })
}

/// The arguments as the JSON object Anthropic's `input` is; a call without arguments took
/// none.
fn arguments(arguments: &str) -> Option<Value> {
    if arguments.trim().is_empty() {
        return Some(Value::Object(serde_json::Map::new()));
    }
    serde_json::from_str(arguments)
        .ok()
        .filter(Value::is_object)
}

fn tool_result(message: ToolMessage, param: &str) -> Result<Block, Error> {
    if let MessageContent::Parts(parts) = &message.content
        && let Some(index) = parts
            .iter()
            .position(|part| !matches!(part, ContentPart::Text(_)))
    {
        return Err(unsupported(
            &format!("{param}.content[{index}]"),
            "tool messages take only text",
        ));
    }

    let content = message.content.text();
    Ok(Block::ToolResult {
        tool_use_id: message.tool_call_id,
        content: (!content.is_empty()).then_some(content),
    })
}
