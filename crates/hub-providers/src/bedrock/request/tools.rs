//! `tools` and `tool_choice` as Converse's `toolConfig`, and a JSON `response_format` as its
//! structured output.

use hub_core::Error;
use hub_core::chat::{
    ChatCompletionRequest, ResponseFormat, Tool, ToolChoice as OpenAiToolChoice, ToolChoiceMode,
    ToolChoiceObject,
};
use serde_json::json;

use super::invalid;
use super::wire::{
    Empty, InputSchema, JsonSchema, OutputConfig, Structure, TextFormat, ToolChoice, ToolConfig,
    ToolEntry, ToolName, ToolSpec,
};

pub(super) fn tool_config(
    request: &ChatCompletionRequest,
    holds_tool_blocks: bool,
) -> Result<Option<ToolConfig>, Error> {
    let mut tools = tool_specs(request.tools.as_deref().unwrap_or_default())?;

    let tool_choice = match &request.tool_choice {
        None | Some(OpenAiToolChoice::Mode(ToolChoiceMode::Auto)) => None,
        Some(OpenAiToolChoice::Mode(ToolChoiceMode::Required)) => Some(ToolChoice::Any(Empty {})),
        Some(OpenAiToolChoice::Mode(ToolChoiceMode::None)) => {
            // Converse has no "none"; leaving the tools out says the same, but a conversation
            // that already holds tool calls must still declare them.
            if holds_tool_blocks {
                let message = "Bedrock cannot be told not to call tools in a conversation that \
                               holds tool calls.";
                return Err(invalid("tool_choice", message));
            }
            return Ok(None);
        }
        Some(OpenAiToolChoice::Object(choice)) => object_choice(choice, &mut tools)?,
    };

    if tools.is_empty() {
        return Ok(None);
    }
    Ok(Some(ToolConfig { tools, tool_choice }))
}

fn tool_specs(tools: &[Tool]) -> Result<Vec<ToolEntry>, Error> {
    tools
        .iter()
        .enumerate()
        .map(|(index, tool)| match tool {
            Tool::Function { function } => Ok(ToolEntry {
                tool_spec: ToolSpec {
                    name: function.name.clone(),
                    description: function.description.clone(),
                    input_schema: InputSchema {
                        json: function
                            .parameters
                            .clone()
                            .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
                    },
                    strict: function.strict,
                },
            }),
            Tool::Custom { .. } => Err(invalid(
                format!("tools[{index}]"),
                "Bedrock takes function tools only.",
            )),
        })
        .collect()
}

/// `tool_choice` given as an object. `allowed_tools` keeps only the allowed tools, which
/// limits the model to them as OpenAI does.
fn object_choice(
    choice: &ToolChoiceObject,
    tools: &mut Vec<ToolEntry>,
) -> Result<Option<ToolChoice>, Error> {
    match choice {
        ToolChoiceObject::Function { function } => Ok(Some(ToolChoice::Tool(ToolName {
            name: function.name.clone(),
        }))),
        ToolChoiceObject::AllowedTools { allowed_tools } => {
            let allowed: Vec<&str> = allowed_tools
                .tools
                .iter()
                .filter_map(|tool| tool.pointer("/function/name")?.as_str())
                .collect();
            tools.retain(|tool| allowed.contains(&tool.tool_spec.name.as_str()));
            Ok((allowed_tools.mode == "required").then_some(ToolChoice::Any(Empty {})))
        }
        ToolChoiceObject::Custom { .. } => {
            Err(invalid("tool_choice", "Bedrock takes function tools only."))
        }
    }
}

/// `json_schema` as Converse's structured output; `json_object` as the schema of any object.
pub(super) fn output_config(format: Option<&ResponseFormat>) -> Option<OutputConfig> {
    let (schema, name, description) = match format? {
        ResponseFormat::Text => return None,
        ResponseFormat::JsonObject => (json!({"type": "object"}), None, None),
        ResponseFormat::JsonSchema { json_schema } => (
            json_schema
                .schema
                .clone()
                .unwrap_or_else(|| json!({"type": "object"})),
            Some(json_schema.name.clone()),
            json_schema.description.clone(),
        ),
    };

    Some(OutputConfig {
        text_format: TextFormat {
            kind: "json_schema",
            structure: Structure {
                json_schema: JsonSchema {
                    // Converse takes the schema as a JSON document in a string.
                    schema: schema.to_string(),
                    name,
                    description,
                },
            },
        },
    })
}
