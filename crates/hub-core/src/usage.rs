//! Token usage as OpenAI reports it, shared by chat and legacy completions.

use serde::{Deserialize, Serialize};

use crate::Extra;

/// `CompletionUsage`: the tokens a call consumed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

/// The parts of the prompt's token count that were cached or audio.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PromptTokensDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u64>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

/// The parts of the completion's token count spent on reasoning, audio or predictions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompletionTokensDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_prediction_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_prediction_tokens: Option<u64>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}
