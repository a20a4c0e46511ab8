//! The Converse request body, member for member as botocore's service model names them
//! (camelCase, unions as single-key objects).

use serde::Serialize;
use serde_json::Value;

/// `ConverseRequest` (the model id travels in the path).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::bedrock) struct ConverseRequest {
    pub(super) messages: Vec<Message>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) system: Vec<SystemBlock>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) inference_config: Option<InferenceConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tool_config: Option<ToolConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) output_config: Option<OutputConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Message {
    pub(super) role: Role,
    pub(super) content: Vec<ContentBlock>,
}

impl Message {
    /// Whether the message holds a tool call or a tool result.
    pub(super) fn holds_tool_blocks(&self) -> bool {
        self.content.iter().any(|block| {
            matches!(
                block,
                ContentBlock::ToolUse(_) | ContentBlock::ToolResult(_)
            )
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Role {
    User,
    Assistant,
}

/// `ContentBlock`, a union: exactly one member per block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum ContentBlock {
    Text(String),
    Image(Image),
    ToolUse(ToolUse),
    ToolResult(ToolResult),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Image {
    /// `png`, `jpeg`, `gif` or `webp`.
    pub(super) format: &'static str,
    pub(super) source: ImageSource,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct ImageSource {
    /// The image's bytes, base64 in JSON.
    pub(super) bytes: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ToolUse {
    pub(super) tool_use_id: String,
    pub(super) name: String,
    pub(super) input: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ToolResult {
    pub(super) tool_use_id: String,
    pub(super) content: Vec<ToolResultContent>,
}

/// `ToolResultContentBlock`, a union.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum ToolResultContent {
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct SystemBlock {
    pub(super) text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InferenceConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) top_p: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) stop_sequences: Vec<String>,
}

impl InferenceConfig {
    pub(super) fn is_empty(&self) -> bool {
        self.max_tokens.is_none()
            && self.temperature.is_none()
            && self.top_p.is_none()
            && self.stop_sequences.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ToolConfig {
    pub(super) tools: Vec<ToolEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tool_choice: Option<ToolChoice>,
}

/// `Tool`, a union of which Hub sends only `toolSpec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ToolEntry {
    pub(super) tool_spec: ToolSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ToolSpec {
    pub(super) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<String>,
    pub(super) input_schema: InputSchema,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) strict: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct InputSchema {
    pub(super) json: Value,
}

/// `ToolChoice`, a union: `{"auto": {}}`, `{"any": {}}` or `{"tool": {"name": ...}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum ToolChoice {
    Any(Empty),
    Tool(ToolName),
}

/// An empty structure, written `{}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Empty {}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct ToolName {
    pub(super) name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OutputConfig {
    pub(super) text_format: TextFormat,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct TextFormat {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) structure: Structure,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Structure {
    pub(super) json_schema: JsonSchema,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct JsonSchema {
    pub(super) schema: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<String>,
}
