//! OpenAI's tools and `tool_choice` as Vertex AI's `functionDeclarations` and
//! function-calling mode: `auto` is `AUTO`, `none` is `NONE`, `required` is `ANY`, a named
//! function is `ANY` limited to that name.

use hub_core::Error;
use hub_core::chat::{ChatCompletionRequest, Tool, ToolChoice, ToolChoiceMode, ToolChoiceObject};
use serde_json::Value;

use super::wire::{FunctionCallingConfig, FunctionDeclaration, ToolConfig, Tools};
use super::{refuse, schema};

/// The function declarations and the function-calling mode.
pub(super) fn tools(
    request: &ChatCompletionRequest,
) -> Result<(Vec<Tools>, Option<ToolConfig>), Error> {
    let offered = request.tools.as_deref().unwrap_or_default();
    let mut declarations = offered
        .iter()
        .enumerate()
        .map(|(index, tool)| declaration(tool, index))
        .collect::<Result<Vec<_>, _>>()?;

    let Some(choice) = &request.tool_choice else {
        return Ok((grouped(declarations), None));
    };
    if offered.is_empty() {
        return match choice {
            ToolChoice::Mode(ToolChoiceMode::None) => Ok((Vec::new(), None)),
            _ => Err(refuse("tool_choice", "a tool choice needs `tools`")),
        };
    }

    let (mode, allowed) = calling_mode(choice, &mut declarations)?;
    let config = ToolConfig {
        function_calling_config: FunctionCallingConfig {
            mode,
            allowed_function_names: allowed,
        },
    };
    Ok((grouped(declarations), Some(config)))
}

fn grouped(declarations: Vec<FunctionDeclaration>) -> Vec<Tools> {
    if declarations.is_empty() {
        return Vec::new();
    }
    vec![Tools {
        function_declarations: declarations,
    }]
}

fn declaration(tool: &Tool, index: usize) -> Result<FunctionDeclaration, Error> {
    let Tool::Function { function } = tool else {
        return Err(refuse(
            &format!("tools[{index}]"),
            "Vertex AI offers function tools only",
        ));
    };
    let param = format!("tools[{index}].function.parameters");
    Ok(FunctionDeclaration {
        name: function.name.clone(),
        description: function.description.clone(),
        parameters: function
            .parameters
            .as_ref()
            .map(|parameters| schema::convert(parameters, &param))
            .transpose()?,
    })
}

/// The mode and allowed names for `choice`. Vertex allows names only with `ANY`, so tools a
/// client allows but does not require are narrowed by declaring only those.
fn calling_mode(
    choice: &ToolChoice,
    declarations: &mut Vec<FunctionDeclaration>,
) -> Result<(&'static str, Vec<String>), Error> {
    match choice {
        ToolChoice::Mode(ToolChoiceMode::None) => Ok(("NONE", Vec::new())),
        ToolChoice::Mode(ToolChoiceMode::Auto) => Ok(("AUTO", Vec::new())),
        ToolChoice::Mode(ToolChoiceMode::Required) => Ok(("ANY", Vec::new())),
        ToolChoice::Object(ToolChoiceObject::Function { function }) => {
            Ok(("ANY", vec![function.name.clone()]))
        }
        ToolChoice::Object(ToolChoiceObject::AllowedTools { allowed_tools }) => {
            let names = allowed_tools
                .tools
                .iter()
                .map(|tool| tool.pointer("/function/name").and_then(Value::as_str))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| refuse("tool_choice", "only function tools can be allowed"))?;
            if allowed_tools.mode == "required" {
                return Ok(("ANY", names.into_iter().map(str::to_owned).collect()));
            }
            declarations.retain(|declaration| names.contains(&declaration.name.as_str()));
            Ok(("AUTO", Vec::new()))
        }
        ToolChoice::Object(ToolChoiceObject::Custom { .. }) => Err(refuse(
            "tool_choice",
            "Vertex AI offers function tools only",
        )),
    }
}
