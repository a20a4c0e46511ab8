//! Tools the model may call, how the client steers the choice, and the calls it makes.

use serde::{Deserialize, Serialize};

use crate::Extra;

/// A tool offered to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Tool {
    Function {
        function: FunctionDefinition,
    },
    /// A free-form custom tool; Hub passes its definition through untouched.
    Custom {
        custom: serde_json::Value,
    },
}

/// A function the model may call: its name, what it does, and its JSON Schema parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunctionDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

/// `tool_choice`: a mode, or an object naming what the model must or may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(ToolChoiceMode),
    Object(ToolChoiceObject),
}

/// The string forms of `tool_choice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ToolChoiceMode {
    None,
    Auto,
    Required,
}

/// The object forms of `tool_choice`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoiceObject {
    /// The model must call this function.
    Function { function: FunctionName },
    /// The model may call only these tools.
    AllowedTools { allowed_tools: AllowedTools },
    /// The model must call this custom tool.
    Custom { custom: FunctionName },
}

/// `{"name": ...}`, naming one function or custom tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunctionName {
    pub name: String,
}

/// The subset of tools the model may use, and whether it must use one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AllowedTools {
    /// `auto` or `required`.
    pub mode: String,
    pub tools: Vec<serde_json::Value>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

/// A call the model made, in a response or in an earlier assistant message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionCall,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

fn function_type() -> String {
    "function".to_owned()
}

/// The function called and its arguments, a JSON document as a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunctionCall {
    pub name: String,
    pub arguments: String,
}

/// A fragment of a tool call in a stream. The first fragment of a call carries `id`,
/// `type` and the function name; later ones carry only pieces of the arguments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolCallDelta {
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallDelta>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

/// The function part of a [`ToolCallDelta`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunctionCallDelta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}
