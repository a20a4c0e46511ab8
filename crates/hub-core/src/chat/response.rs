//! The chat completion response and the chunks of a streamed one.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::tools::{ToolCall, ToolCallDelta};
use crate::{Extra, Usage};

/// `CreateChatCompletionResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatCompletion {
    pub id: String,
    #[serde(default = "chat_completion_object")]
    pub object: String,
    pub created: u64,
    pub model: String,
    pub choices: Vec<ChatChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

fn chat_completion_object() -> String {
    "chat.completion".to_owned()
}

/// One of the `n` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatChoice {
    pub index: u32,
    pub message: ResponseMessage,
    #[serde(default)]
    pub logprobs: Option<serde_json::Value>,
    pub finish_reason: Option<FinishReason>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

/// The assistant's answer. `content` and `refusal` are always present, `null` when empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponseMessage {
    #[serde(default = "assistant_role")]
    pub role: String,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

impl Default for ResponseMessage {
    fn default() -> Self {
        ResponseMessage {
            role: assistant_role(),
            content: None,
            refusal: None,
            tool_calls: None,
            extra: Extra::new(),
        }
    }
}

fn assistant_role() -> String {
    "assistant".to_owned()
}

/// Why the model stopped.
///
/// Values outside OpenAI's list, which OpenAI-compatible servers sometimes send, are kept
/// as they came rather than refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FinishReason {
    /// A natural stop or a stop sequence.
    Stop,
    /// The output token limit was reached.
    Length,
    /// The model called one or more tools.
    ToolCalls,
    /// Content was withheld by a filter.
    ContentFilter,
    /// The deprecated single function call.
    FunctionCall,
    Other(String),
}

impl FinishReason {
    /// The value as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::FunctionCall => "function_call",
            FinishReason::Other(other) => other,
        }
    }
}

impl From<&str> for FinishReason {
    fn from(value: &str) -> Self {
        match value {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "tool_calls" => FinishReason::ToolCalls,
            "content_filter" => FinishReason::ContentFilter,
            "function_call" => FinishReason::FunctionCall,
            other => FinishReason::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for FinishReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FinishReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FinishReason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(FinishReason::from(value.as_ref()))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for FinishReason {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        // A string rather than an enum: values beyond OpenAI's list are passed on as sent.
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "Why the model stopped: `stop`, `length`, `tool_calls`, `content_filter` or \
                 `function_call`; other values an upstream sends are passed on.",
            ))
            .examples(["stop"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for FinishReason {}

/// `CreateChatCompletionStreamResponse`: one `data:` event of a stream.
///
/// `id`, `created` and `model` are the same in every chunk of one stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatCompletionChunk {
    pub id: String,
    #[serde(default = "chunk_object")]
    pub object: String,
    pub created: u64,
    pub model: String,
    pub choices: Vec<ChunkChoice>,
    /// Only on the last chunk, when the client asked for `stream_options.include_usage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

fn chunk_object() -> String {
    "chat.completion.chunk".to_owned()
}

/// A choice's increment within a chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChunkChoice {
    pub index: u32,
    /// Azure sends some chunks without a delta; they read as an empty one.
    #[serde(default)]
    pub delta: Delta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<serde_json::Value>,
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

/// What a chunk adds to the message: the role first, then content or tool-call pieces.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}
