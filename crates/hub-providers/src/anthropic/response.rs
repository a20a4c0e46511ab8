//! Anthropic's answer translated to OpenAI's chat completion: text blocks joined into
//! `content`, `tool_use` blocks as `tool_calls`, the stop reason and usage mapped.

use hub_core::chat::{
    ChatChoice, ChatCompletion, FinishReason, FunctionCall, ResponseMessage, ToolCall,
};
use hub_core::{Extra, PromptTokensDetails, Usage};
use serde_json::Value;

use super::wire::{self, MessageResponse, ResponseBlock};

/// The chat completion for `message`, created at `created` (Unix seconds).
pub(crate) fn completion(message: MessageResponse, created: u64) -> ChatCompletion {
    let finish_reason = message.stop_reason.as_deref().map(finish_reason);
    let mut text: Option<String> = None;
    let mut tool_calls = Vec::new();
    for block in message.content {
        match block {
            ResponseBlock::Text { text: piece } => text.get_or_insert_default().push_str(&piece),
            ResponseBlock::ToolUse { id, name, input } => {
                tool_calls.push(tool_call(id, name, &input));
            }
            ResponseBlock::Other => {}
        }
    }

    let message_out = ResponseMessage {
        content: text,
        tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
        ..ResponseMessage::default()
    };
    ChatCompletion {
        id: message.id,
        object: "chat.completion".to_owned(),
        created,
        model: message.model,
        choices: vec![ChatChoice {
            index: 0,
            message: message_out,
            logprobs: None,
            finish_reason,
            extra: Extra::new(),
        }],
        usage: Some(usage(&message.usage)),
        system_fingerprint: None,
        service_tier: None,
        extra: Extra::new(),
    }
}

fn tool_call(id: String, name: String, input: &Value) -> ToolCall {
    // A call without input reads as `{}`, the arguments of a function that takes none.
    let arguments = match input {
        Value::Null => "{}".to_owned(),
        input => input.to_string(),
    };
    ToolCall {
        id,
        kind: "function".to_owned(),
        function: FunctionCall { name, arguments },
        extra: Extra::new(),
    }
}

/// Anthropic's `stop_reason` as OpenAI's `finish_reason` (PROTOCOLS.md 2.6). A reason
/// Anthropic adds later is passed on as it came rather than guessed at.
pub(crate) fn finish_reason(stop_reason: &str) -> FinishReason {
    match stop_reason {
        "end_turn" | "stop_sequence" | "pause_turn" => FinishReason::Stop,
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_owned()),
    }
}

/// OpenAI's usage. Anthropic counts cached prompt tokens apart from `input_tokens`, where
/// OpenAI's `prompt_tokens` includes them, so the three are summed; the cache reads are
/// OpenAI's `cached_tokens`, and the cache writes, which OpenAI has no field for, are kept
/// beside them as `cache_creation_tokens`.
pub(crate) fn usage(usage: &wire::Usage) -> Usage {
    let cache_read = usage.cache_read_input_tokens.unwrap_or(0);
    let cache_creation = usage.cache_creation_input_tokens.unwrap_or(0);
    // Saturating: the counts are the upstream's word, and no count may panic the gateway.
    let prompt_tokens = usage
        .input_tokens
        .unwrap_or(0)
        .saturating_add(cache_read)
        .saturating_add(cache_creation);
    let completion_tokens = usage.output_tokens.unwrap_or(0);

    let mut extra = Extra::new();
    if cache_creation > 0 {
        extra.insert("cache_creation_tokens".to_owned(), cache_creation.into());
    }
    Usage {
        prompt_tokens,
        completion_tokens,
        total_tokens: prompt_tokens.saturating_add(completion_tokens),
        prompt_tokens_details: Some(PromptTokensDetails {
            cached_tokens: Some(cache_read),
            audio_tokens: None,
            extra,
        }),
        completion_tokens_details: None,
        extra: Extra::new(),
    }
}

#[cfg(test)]
mod tests;
