//! A Converse response as OpenAI's chat completion, and the pieces the stream shares: the
//! stop reason and token usage.
//!
//! Text blocks are joined into `content`, `toolUse` blocks become `tool_calls` (their input
//! serialized as the arguments string), and `stopReason` becomes `finish_reason`. Reasoning
//! blocks have no place in OpenAI's message and are left out.

use hub_core::chat::{
    ChatChoice, ChatCompletion, FinishReason, FunctionCall, ResponseMessage, ToolCall,
};
use hub_core::{Error, ErrorBody, Extra, PromptTokensDetails, Usage};
use serde::Deserialize;
use serde_json::Value;

/// `ConverseResponse`; members Hub does not use (`metrics`, `trace`, ...) are ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConverseResponse {
    output: Output,
    stop_reason: String,
    usage: TokenUsage,
}

/// `ConverseOutput`, a union whose only member is `message`.
#[derive(Debug, Clone, Deserialize)]
struct Output {
    message: OutputMessage,
}

#[derive(Debug, Clone, Deserialize)]
struct OutputMessage {
    content: Vec<Block>,
}

/// A `ContentBlock` of the answer. The union has one member per block; the members Hub
/// reads are fields here, and the others are ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Block {
    text: Option<String>,
    tool_use: Option<ToolUseBlock>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolUseBlock {
    tool_use_id: String,
    name: String,
    input: Value,
}

/// `TokenUsage`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TokenUsage {
    input_tokens: u64,
    output_tokens: u64,
    cache_read_input_tokens: Option<u64>,
    cache_write_input_tokens: Option<u64>,
}

impl TokenUsage {
    /// OpenAI's usage. Bedrock counts cached prompt tokens apart from `inputTokens`, while
    /// OpenAI's `prompt_tokens` includes them, so they are added back in; the total is
    /// recomputed so that it is the sum OpenAI's clients expect.
    pub(super) fn to_openai(&self) -> Usage {
        let cache_read = self.cache_read_input_tokens.unwrap_or(0);
        let cache_write = self.cache_write_input_tokens.unwrap_or(0);
        let details = self
            .cache_read_input_tokens
            .map(|cached| PromptTokensDetails {
                cached_tokens: Some(cached),
                ..PromptTokensDetails::default()
            });
        // Saturating: the counts are the upstream's word, and no count may panic the gateway.
        let prompt_tokens = self
            .input_tokens
            .saturating_add(cache_read)
            .saturating_add(cache_write);
        Usage {
            prompt_tokens,
            completion_tokens: self.output_tokens,
            total_tokens: prompt_tokens.saturating_add(self.output_tokens),
            prompt_tokens_details: details,
            ..Usage::default()
        }
    }
}

/// What the client is told about a finished answer: its `id`, `created` and `model`.
#[derive(Debug, Clone)]
pub(super) struct Envelope {
    pub(super) id: String,
    pub(super) created: u64,
    pub(super) model: String,
}

/// `stopReason` as `finish_reason`. A model's malformed output or tool call cannot be
/// handed to a client as an answer, so it is an error naming the provider.
pub(super) fn finish_reason(provider: &str, stop_reason: &str) -> Result<FinishReason, Error> {
    match stop_reason {
        "end_turn" | "stop_sequence" => Ok(FinishReason::Stop),
        "max_tokens" | "model_context_window_exceeded" => Ok(FinishReason::Length),
        "tool_use" => Ok(FinishReason::ToolCalls),
        "guardrail_intervened" | "content_filtered" => Ok(FinishReason::ContentFilter),
        "malformed_model_output" | "malformed_tool_use" => Err(Error::UpstreamReported {
            provider: provider.to_owned(),
            body: Box::new(
                ErrorBody::new(
                    "upstream_error",
                    format!("the model stopped with `{stop_reason}`: its output was unusable"),
                )
                .with_code(stop_reason),
            ),
        }),
        other => Ok(FinishReason::Other(other.to_owned())),
    }
}

/// The chat completion for a Converse answer.
pub(super) fn chat_completion(
    provider: &str,
    response: ConverseResponse,
    envelope: Envelope,
) -> Result<ChatCompletion, Error> {
    let finish_reason = finish_reason(provider, &response.stop_reason)?;

    let mut text = String::new();
    let mut tool_calls = Vec::new();
    for block in response.output.message.content {
        if let Some(piece) = block.text {
            text.push_str(&piece);
        }
        if let Some(call) = block.tool_use {
            tool_calls.push(ToolCall {
                id: call.tool_use_id,
                kind: "function".to_owned(),
                function: FunctionCall {
                    name: call.name,
                    arguments: call.input.to_string(),
                },
                extra: Extra::new(),
            });
        }
    }

    let message = ResponseMessage {
        content: (!text.is_empty()).then_some(text),
        tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
        ..ResponseMessage::default()
    };
    Ok(ChatCompletion {
        id: envelope.id,
        object: "chat.completion".to_owned(),
        created: envelope.created,
        model: envelope.model,
        choices: vec![ChatChoice {
            index: 0,
            message,
            logprobs: None,
            finish_reason: Some(finish_reason),
            extra: Extra::new(),
        }],
        usage: Some(response.usage.to_openai()),
        system_fingerprint: None,
        service_tier: None,
        extra: Extra::new(),
    })
}

#[cfg(test)]
mod tests;
