//! A Messages request checked field by field and reduced to what shapes the reply.
//!
//! The API refuses fields it does not know, so a translator that leaks one of OpenAI's
//! (`n`, `stop`, `response_format`, ...) is caught here, as it would be in production.

use serde_json::{Map, Value};

use super::content::{self, Turn};
use super::error::ApiError;
use super::fields::{Fields, is_identifier};

/// The top-level fields of `MessageCreateParams` (PROTOCOLS.md 2.2).
const FIELDS: [&str; 20] = [
    "model",
    "max_tokens",
    "messages",
    "system",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "stream",
    "tools",
    "tool_choice",
    "metadata",
    "thinking",
    "output_config",
    "service_tier",
    "container",
    "mcp_servers",
    "context_management",
    "inference_geo",
    "cache_control",
];

/// The parts of a valid `POST /v1/messages` body the mock acts on.
#[derive(Debug)]
pub(crate) struct MessagesRequest<'a> {
    pub(crate) model: &'a str,
    pub(crate) max_tokens: u64,
    pub(crate) system: Vec<&'a str>,
    pub(crate) turns: Vec<Turn<'a>>,
    pub(crate) stop_sequences: Vec<&'a str>,
    pub(crate) stream: bool,
    pub(crate) tools: Vec<ToolDefinition<'a>>,
    pub(crate) tool_choice: ToolChoice<'a>,
    /// The schema of structured output, when asked for.
    pub(crate) output_schema: Option<&'a Value>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct ToolDefinition<'a> {
    pub(crate) name: &'a str,
    pub(crate) input_schema: &'a Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ToolChoice<'a> {
    Auto,
    Any,
    Tool(&'a str),
    None,
}

impl<'a> MessagesRequest<'a> {
    pub(crate) fn parse(body: &'a Map<String, Value>) -> Result<Self, ApiError> {
        let root = Fields::root(body);
        root.only(&FIELDS)?;
        let model = root.require_str("model")?;
        let max_tokens = root.require_integer("max_tokens")?;
        let turns = content::turns(&root)?;

        root.number("temperature", 0.0, 1.0)?;
        root.number("top_p", 0.0, 1.0)?;
        root.integer("top_k")?;
        metadata(&root)?;
        let tools = tools(&root)?;

        Ok(Self {
            model,
            max_tokens,
            system: system(&root)?,
            turns,
            stop_sequences: strings(&root, "stop_sequences")?,
            stream: root.bool("stream")?.unwrap_or(false),
            tool_choice: tool_choice(&root, &tools)?,
            tools,
            output_schema: output_schema(&root)?,
        })
    }
}

/// `system`: a string, or a list of text blocks.
fn system<'a>(root: &Fields<'a>) -> Result<Vec<&'a str>, ApiError> {
    match root.get("system") {
        None => Ok(Vec::new()),
        Some(Value::String(text)) => Ok(vec![text.as_str()]),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .enumerate()
            .map(|(index, block)| {
                let block = Fields::of(block, format!("system.{index}"))?;
                block.only(&["type", "text", "cache_control", "citations"])?;
                block.require_one_of("type", &["text"])?;
                block.require_str("text")
            })
            .collect(),
        Some(_) => Err(ApiError::invalid(
            "system: Input should be a valid string or a valid list",
        )),
    }
}

fn strings<'a>(root: &Fields<'a>, key: &str) -> Result<Vec<&'a str>, ApiError> {
    let Some(values) = root.array(key)? else {
        return Ok(Vec::new());
    };
    values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            value.as_str().ok_or_else(|| {
                ApiError::invalid(format!("{key}.{index}: Input should be a valid string"))
            })
        })
        .collect()
}

fn metadata(root: &Fields<'_>) -> Result<(), ApiError> {
    if let Some(metadata) = root.object("metadata")? {
        metadata.only(&["user_id"])?;
        metadata.str("user_id")?;
    }
    Ok(())
}

fn tools<'a>(root: &Fields<'a>) -> Result<Vec<ToolDefinition<'a>>, ApiError> {
    let Some(tools) = root.array("tools")? else {
        return Ok(Vec::new());
    };

    let mut definitions: Vec<ToolDefinition<'a>> = Vec::new();
    for (index, tool) in tools.iter().enumerate() {
        let tool = Fields::of(tool, format!("tools.{index}"))?;
        tool.only(&[
            "type",
            "name",
            "description",
            "input_schema",
            "cache_control",
            "strict",
        ])?;
        if tool.get("type").is_some() {
            tool.require_one_of("type", &["custom"])?;
        }
        let name = tool.require_str("name")?;
        if !is_identifier(name, 64) {
            return Err(ApiError::invalid(format!(
                "{}: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'",
                tool.path("name")
            )));
        }
        tool.str("description")?;
        tool.bool("strict")?;
        let schema = tool.require_object("input_schema")?;
        schema.require_one_of("type", &["object"])?;

        if definitions.iter().any(|known| known.name == name) {
            return Err(ApiError::invalid("tools: Tool names must be unique."));
        }
        definitions.push(ToolDefinition {
            name,
            input_schema: tool.require("input_schema")?,
        });
    }
    Ok(definitions)
}

fn tool_choice<'a>(
    root: &Fields<'a>,
    tools: &[ToolDefinition<'a>],
) -> Result<ToolChoice<'a>, ApiError> {
    let Some(choice) = root.object("tool_choice")? else {
        return Ok(if tools.is_empty() {
            ToolChoice::None
        } else {
            ToolChoice::Auto
        });
    };

    let kind = choice.require_one_of("type", &["auto", "any", "tool", "none"])?;
    if kind == "none" {
        choice.only(&["type"])?;
        return Ok(ToolChoice::None);
    }
    choice.bool("disable_parallel_tool_use")?;
    if tools.is_empty() {
        return Err(ApiError::invalid(
            "tool_choice: tool_choice may only be specified while providing tools.",
        ));
    }

    match kind {
        "tool" => {
            choice.only(&["type", "name", "disable_parallel_tool_use"])?;
            let name = choice.require_str("name")?;
            if !tools.iter().any(|tool| tool.name == name) {
                return Err(ApiError::invalid(format!(
                    "tool_choice.name: Tool '{name}' not found in provided tools"
                )));
            }
            Ok(ToolChoice::Tool(name))
        }
        "any" => {
            choice.only(&["type", "disable_parallel_tool_use"])?;
            Ok(ToolChoice::Any)
        }
        _ => {
            choice.only(&["type", "disable_parallel_tool_use"])?;
            Ok(ToolChoice::Auto)
        }
    }
}

fn output_schema<'a>(root: &Fields<'a>) -> Result<Option<&'a Value>, ApiError> {
    let Some(config) = root.object("output_config")? else {
        return Ok(None);
    };
    config.only(&["format", "effort"])?;
    if config.get("effort").is_some() {
        config.require_one_of("effort", &["low", "medium", "high"])?;
    }

    let Some(format) = config.object("format")? else {
        return Ok(None);
    };
    format.only(&["type", "schema"])?;
    format.require_one_of("type", &["json_schema"])?;
    format.require_object("schema")?;
    format.require("schema").map(Some)
}
