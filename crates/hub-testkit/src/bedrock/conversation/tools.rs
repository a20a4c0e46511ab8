//! `toolConfig`, its tools and tool choice, and the structured output of `outputConfig`.

use serde_json::Value;

use super::{ToolChoice, ToolSpec, invalid, object, only_members, string, union};
use crate::bedrock::error::AwsError;

pub(super) fn tool_config(value: &Value) -> Result<(Vec<ToolSpec<'_>>, ToolChoice<'_>), AwsError> {
    let map = object(value, "toolConfig")?;
    only_members(map, "toolConfig", &["tools", "toolChoice"])?;
    let tools = map
        .get("tools")
        .and_then(Value::as_array)
        .filter(|tools| !tools.is_empty())
        .ok_or_else(|| invalid("toolConfig.tools must hold at least one tool."))?;

    let mut specs: Vec<ToolSpec<'_>> = Vec::new();
    for (index, tool) in tools.iter().enumerate() {
        let path = format!("toolConfig.tools.{index}");
        let (_, spec) = union(tool, &path, &["toolSpec"])?;
        let spec = tool_spec(spec, &format!("{path}.toolSpec"))?;
        if specs.iter().any(|known| known.name == spec.name) {
            return Err(invalid(format!(
                "The tool name '{}' is not unique.",
                spec.name
            )));
        }
        specs.push(spec);
    }

    let choice = match map.get("toolChoice") {
        None => ToolChoice::Auto,
        Some(choice) => match union(choice, "toolConfig.toolChoice", &["auto", "any", "tool"])? {
            ("auto", _) => ToolChoice::Auto,
            ("any", _) => ToolChoice::Any,
            (_, tool) => {
                let name = string(object(tool, "toolChoice.tool")?, "name", "toolChoice.tool")?;
                if !specs.iter().any(|spec| spec.name == name) {
                    return Err(invalid(format!(
                        "toolChoice.tool.name '{name}' does not name a tool in toolConfig.tools."
                    )));
                }
                ToolChoice::Tool(name)
            }
        },
    };
    Ok((specs, choice))
}

fn tool_spec<'a>(value: &'a Value, path: &str) -> Result<ToolSpec<'a>, AwsError> {
    let map = object(value, path)?;
    only_members(map, path, &["name", "description", "inputSchema", "strict"])?;
    let name = string(map, "name", path)?;
    let valid_name = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid_name {
        return Err(invalid(format!(
            "Value '{name}' at '{path}.name' failed to satisfy constraint: Member must satisfy \
             regular expression pattern: [a-zA-Z0-9_-]+"
        )));
    }

    let schema = map
        .get("inputSchema")
        .ok_or_else(|| invalid(format!("{path}.inputSchema is required.")))?;
    let (_, schema) = union(schema, &format!("{path}.inputSchema"), &["json"])?;
    object(schema, &format!("{path}.inputSchema.json"))?;
    Ok(ToolSpec { name, schema })
}

pub(super) fn output_schema(value: Option<&Value>) -> Result<Option<Value>, AwsError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let schema = value
        .pointer("/textFormat/structure/jsonSchema/schema")
        .and_then(Value::as_str)
        .filter(|_| {
            value.pointer("/textFormat/type").and_then(Value::as_str) == Some("json_schema")
        })
        .ok_or_else(|| {
            invalid(
                "outputConfig.textFormat must be a json_schema with a jsonSchema.schema string.",
            )
        })?;
    serde_json::from_str(schema)
        .map(Some)
        .map_err(|_| invalid("outputConfig.textFormat.structure.jsonSchema.schema is not JSON."))
}
