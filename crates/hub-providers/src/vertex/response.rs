//! A `GenerateContentResponse` as OpenAI's chat completion: candidates as choices, function
//! calls as tool calls with ids Hub makes, `finishReason` and `usageMetadata` mapped.

use std::sync::atomic::{AtomicU64, Ordering};

use hub_core::chat::{
    ChatChoice, ChatCompletion, FinishReason, FunctionCall, ResponseMessage, ToolCall,
};
use hub_core::{CompletionTokensDetails, Error, ErrorBody, Extra, PromptTokensDetails, Usage};

use super::wire::{Candidate, GenerateContentResponse, PromptFeedback, UsageMetadata};

/// What names an answer: its id, when it was made, and the model that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Envelope {
    pub(super) id: String,
    pub(super) created: u64,
    pub(super) model: String,
}

impl Envelope {
    /// The envelope of `response`: Vertex's response id and model version where it sent them.
    pub(super) fn of(response: &GenerateContentResponse, model: &str, created: u64) -> Self {
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let id = match &response.response_id {
            Some(id) => format!("chatcmpl-{id}"),
            None => {
                let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
                format!("chatcmpl-vertex-{created}-{serial}")
            }
        };
        Envelope {
            id,
            created,
            model: response
                .model_version
                .clone()
                .unwrap_or_else(|| model.to_owned()),
        }
    }
}

/// The whole answer.
pub(super) fn chat_completion(
    response: GenerateContentResponse,
    envelope: Envelope,
    provider: &str,
) -> Result<ChatCompletion, Error> {
    if response.candidates.is_empty() {
        return Err(no_candidates(response.prompt_feedback.as_ref(), provider));
    }

    let choices = response.candidates.iter().map(choice).collect();
    Ok(ChatCompletion {
        id: envelope.id,
        object: "chat.completion".to_owned(),
        created: envelope.created,
        model: envelope.model,
        choices,
        usage: response.usage_metadata.as_ref().map(usage),
        system_fingerprint: None,
        service_tier: None,
        extra: Extra::new(),
    })
}

fn choice(candidate: &Candidate) -> ChatChoice {
    let (text, calls) = split_parts(candidate, 0);
    let tool_calls = (!calls.is_empty()).then_some(calls);
    // A whole answer has ended, whether or not Vertex said why.
    let reason = candidate.finish_reason.as_deref().unwrap_or("STOP");
    let finish = finish_reason(Some(reason), tool_calls.is_some());

    ChatChoice {
        index: candidate.index,
        message: ResponseMessage {
            content: text,
            tool_calls,
            ..ResponseMessage::default()
        },
        logprobs: None,
        finish_reason: Some(finish.unwrap_or(FinishReason::Stop)),
        extra: Extra::new(),
    }
}

/// A candidate's answer text (thoughts left out) and its function calls as tool calls,
/// numbered from `first_call`.
pub(super) fn split_parts(
    candidate: &Candidate,
    first_call: usize,
) -> (Option<String>, Vec<ToolCall>) {
    let parts = candidate
        .content
        .as_ref()
        .map_or(&[][..], |content| content.parts.as_slice());

    let text: String = parts
        .iter()
        .filter(|part| !part.thought)
        .filter_map(|part| part.text.as_deref())
        .collect();
    let calls = parts
        .iter()
        .filter_map(|part| part.function_call.as_ref())
        .enumerate()
        .map(|(offset, call)| ToolCall {
            id: call_id(first_call + offset, &call.name),
            kind: "function".to_owned(),
            function: FunctionCall {
                name: call.name.clone(),
                arguments: serde_json::Value::Object(call.args.clone()).to_string(),
            },
            extra: Extra::new(),
        })
        .collect();
    ((!text.is_empty()).then_some(text), calls)
}

/// The id of a candidate's `index`-th function call. Vertex gives calls no id; this one is
/// stable for the same answer, and results are matched back by the call's name.
pub(super) fn call_id(index: usize, name: &str) -> String {
    format!("call_{index}_{name}")
}

/// OpenAI's finish reason for Vertex's. Gemini reports `STOP` when it calls functions, so a
/// candidate with calls finishes with `tool_calls`.
pub(super) fn finish_reason(reason: Option<&str>, has_calls: bool) -> Option<FinishReason> {
    let reason = match reason? {
        "FINISH_REASON_UNSPECIFIED" => return None,
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "MODEL_ARMOR"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT" => FinishReason::ContentFilter,
        _ if has_calls => FinishReason::ToolCalls,
        _ => FinishReason::Stop,
    };
    Some(reason)
}

/// OpenAI's usage for `usageMetadata`: reasoning ("thoughts") counts as completion tokens.
pub(super) fn usage(metadata: &UsageMetadata) -> Usage {
    // Saturating: the counts are the upstream's word, and no count may panic the gateway.
    let completion = metadata
        .candidates_token_count
        .saturating_add(metadata.thoughts_token_count);
    let total = if metadata.total_token_count > 0 {
        metadata.total_token_count
    } else {
        metadata.prompt_token_count.saturating_add(completion)
    };
    Usage {
        prompt_tokens: metadata.prompt_token_count,
        completion_tokens: completion,
        total_tokens: total,
        prompt_tokens_details: (metadata.cached_content_token_count > 0).then(|| {
            PromptTokensDetails {
                cached_tokens: Some(metadata.cached_content_token_count),
                ..PromptTokensDetails::default()
            }
        }),
        completion_tokens_details: (metadata.thoughts_token_count > 0).then(|| {
            CompletionTokensDetails {
                reasoning_tokens: Some(metadata.thoughts_token_count),
                ..CompletionTokensDetails::default()
            }
        }),
        extra: Extra::new(),
    }
}

/// An answer without candidates: the prompt was blocked, which OpenAI clients know as a
/// `400 content_filter`, or the answer is broken.
pub(super) fn no_candidates(feedback: Option<&PromptFeedback>, provider: &str) -> Error {
    let Some(reason) = feedback.and_then(|feedback| feedback.block_reason.as_deref()) else {
        return Error::UpstreamProtocol {
            provider: provider.to_owned(),
            message: "the answer has no candidates".to_owned(),
        };
    };

    let detail = feedback
        .and_then(|feedback| feedback.block_reason_message.as_deref())
        .map(|message| format!(": {message}"))
        .unwrap_or_default();
    let message = format!("Vertex AI blocked the prompt ({reason}){detail}");
    // The upstream answered 200, but what it said is a refusal of the client's prompt, which
    // keeps its 400 as Azure's and OpenAI's content filters do.
    Error::UpstreamStatus {
        provider: provider.to_owned(),
        status: 400,
        body: Box::new(
            ErrorBody::new("invalid_request_error", message)
                .with_param("messages")
                .with_code("content_filter"),
        ),
        retry_after: None,
    }
}

#[cfg(test)]
mod tests;
