//! OpenAI's chat request as a Converse request.
//!
//! - `system` and `developer` messages become `system` blocks, in order.
//! - `user` content becomes `text` and `image` blocks; images must be `data:` URLs, since
//!   Converse takes image bytes and Hub does not fetch URLs on a client's behalf.
//! - `assistant` tool calls become `toolUse` blocks and `tool` messages `toolResult` blocks.
//!   Converse wants the roles to alternate, so consecutive messages of one role (tool results,
//!   then the user's next words) are merged into one message.
//! - `max_completion_tokens` (or `max_tokens`), `temperature`, `top_p` and `stop` become
//!   `inferenceConfig`; `tools` and `tool_choice` become `toolConfig`; a JSON
//!   `response_format` becomes `outputConfig`.
//!
//! What Converse cannot honour is refused with a 400 naming the parameter rather than dropped:
//! `n` above 1, `logprobs`, `top_logprobs`, `seed`, non-zero penalties, `logit_bias`,
//! `parallel_tool_calls: false`, custom tools, audio and file parts, and a `temperature` above
//! 1 (Bedrock's range is 0 to 1; rescaling OpenAI's 0 to 2 would change what a client asked
//! for). Fields that do not change the answer (`user`, `store`, `metadata`, ...) are ignored.

mod tools;
mod wire;

use hub_core::Error;
use hub_core::chat::{
    AssistantMessage, ChatCompletionRequest, ChatMessage, ContentPart, MessageContent,
};
use serde_json::{Value, json};

use self::tools::{output_config, tool_config};
pub(super) use self::wire::ConverseRequest;
use self::wire::{
    ContentBlock, Image, ImageSource, InferenceConfig, Message, Role, SystemBlock, ToolResult,
    ToolResultContent, ToolUse,
};
use super::request_error as invalid;

/// Request fields outside Hub's model that do not change what the model generates, and so
/// may be ignored rather than refused.
const IGNORED_FIELDS: [&str; 5] = [
    "store",
    "metadata",
    "safety_identifier",
    "prompt_cache_key",
    "service_tier",
];

/// The Converse body for `request`.
pub(super) fn converse(request: &ChatCompletionRequest) -> Result<ConverseRequest, Error> {
    refuse_untranslatable(request)?;

    let (system, messages) = conversation(&request.messages)?;
    let holds_tool_blocks = messages.iter().any(Message::holds_tool_blocks);
    Ok(ConverseRequest {
        messages,
        system,
        inference_config: inference_config(request)?,
        tool_config: tool_config(request, holds_tool_blocks)?,
        output_config: output_config(request.response_format.as_ref()),
    })
}

fn refuse_untranslatable(request: &ChatCompletionRequest) -> Result<(), Error> {
    if request.n.is_some_and(|n| n != 1) {
        return Err(invalid(
            "n",
            "Bedrock returns one choice per request: `n` must be 1.",
        ));
    }
    if request.logprobs == Some(true) || request.top_logprobs.is_some() {
        let param = if request.top_logprobs.is_some() {
            "top_logprobs"
        } else {
            "logprobs"
        };
        return Err(invalid(
            param,
            "Bedrock Converse does not return log probabilities.",
        ));
    }
    if request.seed.is_some() {
        return Err(invalid("seed", "Bedrock Converse does not take a seed."));
    }
    for (param, value) in [
        ("frequency_penalty", request.frequency_penalty),
        ("presence_penalty", request.presence_penalty),
    ] {
        if value.is_some_and(|value| value != 0.0) {
            return Err(invalid(
                param,
                format!("Bedrock Converse has no `{param}`."),
            ));
        }
    }
    if request
        .logit_bias
        .as_ref()
        .is_some_and(|bias| !bias.is_empty())
    {
        return Err(invalid(
            "logit_bias",
            "Bedrock Converse does not take a logit bias.",
        ));
    }
    if request.parallel_tool_calls == Some(false) {
        return Err(invalid(
            "parallel_tool_calls",
            "Bedrock Converse cannot be told to call at most one tool.",
        ));
    }
    refuse_unknown_fields(request)
}

fn refuse_unknown_fields(request: &ChatCompletionRequest) -> Result<(), Error> {
    let unknown = request
        .extra
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(name, _)| name)
        .find(|name| !IGNORED_FIELDS.contains(&name.as_str()));
    match unknown {
        Some(name) => Err(invalid(
            name.as_str(),
            format!("`{name}` cannot be translated to Bedrock Converse."),
        )),
        None => Ok(()),
    }
}

/// The system blocks and the alternating user and assistant messages.
fn conversation(messages: &[ChatMessage]) -> Result<(Vec<SystemBlock>, Vec<Message>), Error> {
    let mut system = Vec::new();
    let mut turns: Vec<Message> = Vec::new();

    for (index, message) in messages.iter().enumerate() {
        let (role, blocks) = match message {
            ChatMessage::System(message) | ChatMessage::Developer(message) => {
                system.push(SystemBlock {
                    text: message.content.text(),
                });
                continue;
            }
            ChatMessage::User(message) => (Role::User, user_blocks(index, &message.content)?),
            ChatMessage::Assistant(message) => (Role::Assistant, assistant_blocks(index, message)?),
            ChatMessage::Tool(message) => (
                Role::User,
                vec![ContentBlock::ToolResult(ToolResult {
                    tool_use_id: message.tool_call_id.clone(),
                    content: vec![ToolResultContent::Text(message.content.text())],
                })],
            ),
        };

        if blocks.is_empty() {
            let message = format!("messages[{index}] has no content Bedrock can take.");
            return Err(invalid(format!("messages[{index}].content"), message));
        }
        match turns.last_mut() {
            Some(last) if last.role == role => last.content.extend(blocks),
            _ => turns.push(Message {
                role,
                content: blocks,
            }),
        }
    }
    Ok((system, turns))
}

/// Converse refuses blank text blocks, which OpenAI clients send freely (an assistant turn
/// with `content: ""` beside its tool calls), so those are left out.
fn text_block(text: String) -> Option<ContentBlock> {
    (!text.trim().is_empty()).then_some(ContentBlock::Text(text))
}

fn user_blocks(index: usize, content: &MessageContent) -> Result<Vec<ContentBlock>, Error> {
    let parts = match content {
        MessageContent::Text(text) => return Ok(text_block(text.clone()).into_iter().collect()),
        MessageContent::Parts(parts) => parts,
    };

    let mut blocks = Vec::with_capacity(parts.len());
    for (part_index, part) in parts.iter().enumerate() {
        let param = format!("messages[{index}].content[{part_index}]");
        match part {
            ContentPart::Text(part) => blocks.extend(text_block(part.text.clone())),
            ContentPart::ImageUrl(part) => {
                blocks.push(image(
                    &part.image_url.url,
                    &format!("{param}.image_url.url"),
                )?);
            }
            ContentPart::InputAudio(_) | ContentPart::File(_) | ContentPart::Refusal(_) => {
                return Err(invalid(
                    param,
                    "This content part cannot be sent to Bedrock.",
                ));
            }
        }
    }
    Ok(blocks)
}

/// An image from a `data:image/<format>;base64,<data>` URL. The base64 text is passed on as
/// it is: Converse's JSON carries image bytes as base64.
fn image(url: &str, param: &str) -> Result<ContentBlock, Error> {
    let refuse = |why: &str| {
        invalid(
            param,
            format!("{why} Bedrock takes images as `data:` URLs."),
        )
    };
    let Some(rest) = url.strip_prefix("data:") else {
        return Err(refuse("Hub does not fetch image URLs."));
    };
    let (media_type, data) = rest
        .split_once(";base64,")
        .ok_or_else(|| refuse("The image is not base64."))?;

    let format = match media_type.to_ascii_lowercase().as_str() {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpeg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        other => return Err(refuse(&format!("`{other}` is not PNG, JPEG, GIF or WebP."))),
    };
    Ok(ContentBlock::Image(Image {
        format,
        source: ImageSource {
            bytes: data.to_owned(),
        },
    }))
}

fn assistant_blocks(index: usize, message: &AssistantMessage) -> Result<Vec<ContentBlock>, Error> {
    let mut blocks = Vec::new();
    match &message.content {
        Some(MessageContent::Text(text)) => blocks.extend(text_block(text.clone())),
        Some(MessageContent::Parts(parts)) => {
            for part in parts {
                let text = match part {
                    ContentPart::Text(part) => part.text.clone(),
                    ContentPart::Refusal(part) => part.refusal.clone(),
                    _ => continue,
                };
                blocks.extend(text_block(text));
            }
        }
        None => {}
    }
    if let Some(refusal) = &message.refusal {
        blocks.extend(text_block(refusal.clone()));
    }

    for (call_index, call) in message.tool_calls.iter().flatten().enumerate() {
        let param = format!("messages[{index}].tool_calls[{call_index}].function.arguments");
        blocks.push(ContentBlock::ToolUse(ToolUse {
            tool_use_id: call.id.clone(),
            name: call.function.name.clone(),
            input: arguments(&call.function.arguments, &param)?,
        }));
    }
    Ok(blocks)
}

/// A tool call's arguments as the JSON document Converse wants; OpenAI sends them as text.
fn arguments(text: &str, param: &str) -> Result<Value, Error> {
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(text)
        .map_err(|error| invalid(param, format!("The arguments are not JSON: {error}.")))
}

fn inference_config(request: &ChatCompletionRequest) -> Result<Option<InferenceConfig>, Error> {
    for (param, value) in [
        ("temperature", request.temperature),
        ("top_p", request.top_p),
    ] {
        if let Some(value) = value
            && !(0.0..=1.0).contains(&value)
        {
            let message = format!("Bedrock takes `{param}` from 0 to 1; {value} was sent.");
            return Err(invalid(param, message));
        }
    }

    let config = InferenceConfig {
        max_tokens: request.max_output_tokens(),
        temperature: request.temperature,
        top_p: request.top_p,
        stop_sequences: request
            .stop
            .as_ref()
            .map(|stop| stop.sequences())
            .unwrap_or_default(),
    };
    Ok((!config.is_empty()).then_some(config))
}

#[cfg(test)]
mod tests;
