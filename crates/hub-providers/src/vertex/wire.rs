//! Vertex AI's JSON, as much of it as Hub sends and reads: `GenerateContentRequest`,
//! `GenerateContentResponse` and the text-embedding `:predict` bodies.
//!
//! Field names are proto3 JSON's lowerCamelCase. Proto3 JSON leaves out fields that hold their
//! default value, so every field read from a response has a default: a candidate without
//! `index` is candidate 0.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `GenerateContentRequest`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GenerateContentRequest {
    pub(super) contents: Vec<Content>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) system_instruction: Option<SystemInstruction>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) tools: Vec<Tools>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tool_config: Option<ToolConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) generation_config: Option<GenerationConfig>,
}

/// One turn: `user` or `model`, and its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Content {
    pub(super) role: &'static str,
    pub(super) parts: Vec<Part>,
}

/// The instructions: parts without a role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct SystemInstruction {
    pub(super) parts: Vec<Part>,
}

/// One part of a turn, written as proto3 JSON writes a oneof: `{"text": ...}`,
/// `{"inlineData": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum Part {
    Text(String),
    InlineData(Blob),
    FileData(FileData),
    FunctionCall(FunctionCall),
    FunctionResponse(FunctionResponse),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Blob {
    pub(super) mime_type: String,
    pub(super) data: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FileData {
    pub(super) mime_type: String,
    pub(super) file_uri: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct FunctionCall {
    pub(super) name: String,
    #[serde(default)]
    pub(super) args: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct FunctionResponse {
    pub(super) name: String,
    pub(super) response: Map<String, Value>,
}

/// The functions offered: Vertex groups declarations in tool objects.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Tools {
    pub(super) function_declarations: Vec<FunctionDeclaration>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct FunctionDeclaration {
    pub(super) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) parameters: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ToolConfig {
    pub(super) function_calling_config: FunctionCallingConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FunctionCallingConfig {
    /// `AUTO`, `ANY` or `NONE`.
    pub(super) mode: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) allowed_function_names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GenerationConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) candidate_count: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) stop_sequences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) seed: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) response_mime_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) response_schema: Option<Value>,
}

/// `GenerateContentResponse`, whole or as one event of a stream.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GenerateContentResponse {
    #[serde(default)]
    pub(super) candidates: Vec<Candidate>,
    #[serde(default)]
    pub(super) prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    pub(super) usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    pub(super) model_version: Option<String>,
    #[serde(default)]
    pub(super) response_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Candidate {
    #[serde(default)]
    pub(super) index: u32,
    #[serde(default)]
    pub(super) content: Option<CandidateContent>,
    #[serde(default)]
    pub(super) finish_reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(super) struct CandidateContent {
    #[serde(default)]
    pub(super) parts: Vec<ResponsePart>,
}

/// A part of an answer. Parts Hub does not translate (code execution, thought signatures)
/// read as empty.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResponsePart {
    #[serde(default)]
    pub(super) text: Option<String>,
    #[serde(default)]
    pub(super) function_call: Option<FunctionCall>,
    /// A summary of the model's reasoning, not part of its answer.
    #[serde(default)]
    pub(super) thought: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PromptFeedback {
    #[serde(default)]
    pub(super) block_reason: Option<String>,
    #[serde(default)]
    pub(super) block_reason_message: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UsageMetadata {
    #[serde(default)]
    pub(super) prompt_token_count: u64,
    #[serde(default)]
    pub(super) candidates_token_count: u64,
    #[serde(default)]
    pub(super) total_token_count: u64,
    #[serde(default)]
    pub(super) thoughts_token_count: u64,
    #[serde(default)]
    pub(super) cached_content_token_count: u64,
}

/// A text-embedding model's `:predict` request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PredictRequest {
    pub(super) instances: Vec<EmbeddingInstance>,
    pub(super) parameters: EmbeddingParameters,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct EmbeddingInstance {
    pub(super) content: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EmbeddingParameters {
    pub(super) auto_truncate: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) output_dimensionality: Option<u32>,
}

/// A text-embedding model's `:predict` answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct PredictResponse {
    pub(super) predictions: Vec<Prediction>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct Prediction {
    pub(super) embeddings: PredictedEmbedding,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct PredictedEmbedding {
    pub(super) values: Vec<f32>,
    #[serde(default)]
    pub(super) statistics: Option<EmbeddingStatistics>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub(super) struct EmbeddingStatistics {
    /// A count, though the model writes it as a JSON number that may have a fraction.
    #[serde(default)]
    pub(super) token_count: f64,
}
