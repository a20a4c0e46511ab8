//! A chat request checked field by field and reduced to what shapes the reply.

use serde_json::{Map, Value};

use super::messages;
use crate::error::ApiError;
use crate::validate::{self, Fields, empty_array};

/// The parts of a valid `POST /v1/chat/completions` body the mock acts on.
#[derive(Debug)]
pub(super) struct ChatRequest<'a> {
    pub(super) model: &'a str,
    pub(super) messages: &'a [Value],
    pub(super) n: usize,
    pub(super) stream: bool,
    pub(super) include_usage: bool,
    pub(super) max_tokens: Option<usize>,
    pub(super) stop: Vec<&'a str>,
    /// Function tools only; custom tools are accepted but never called.
    pub(super) tools: Vec<FunctionTool<'a>>,
    pub(super) tool_choice: ToolChoice<'a>,
    pub(super) response_format: ResponseFormat<'a>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct FunctionTool<'a> {
    pub(super) name: &'a str,
    pub(super) parameters: Option<&'a Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ToolChoice<'a> {
    None,
    Auto,
    Required,
    Function(&'a str),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum ResponseFormat<'a> {
    Text,
    JsonObject,
    JsonSchema(Option<&'a Value>),
}

impl<'a> ChatRequest<'a> {
    pub(super) fn parse(body: &'a Map<String, Value>) -> Result<Self, ApiError> {
        let fields = Fields::root(body);
        let model = fields.require_string("model")?;
        messages::validate(&fields)?;
        let messages = body
            .get("messages")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);

        validate::sampling(&fields)?;
        logprobs(&fields)?;
        fields.bool("parallel_tool_calls")?;
        let (stream, include_usage) = validate::streaming(&fields)?;
        let tools = tools(&fields)?;

        Ok(Self {
            model,
            messages,
            n: fields.count("n", 1, 128)?.unwrap_or(1),
            stream,
            include_usage,
            max_tokens: max_tokens(&fields)?,
            stop: validate::stop(&fields)?,
            tool_choice: tool_choice(&fields, &tools)?,
            tools,
            response_format: response_format(&fields)?,
        })
    }
}

/// `max_completion_tokens`, or the deprecated `max_tokens` when only that is set.
fn max_tokens(fields: &Fields<'_>) -> Result<Option<usize>, ApiError> {
    let deprecated = fields.count("max_tokens", 1, usize::MAX)?;
    let current = fields.count("max_completion_tokens", 1, usize::MAX)?;
    Ok(current.or(deprecated))
}

fn logprobs(fields: &Fields<'_>) -> Result<(), ApiError> {
    let enabled = fields.bool("logprobs")?.unwrap_or(false);
    let top = fields.integer("top_logprobs", 0, 20)?;
    if top.is_some() && !enabled {
        let message = "Invalid value for 'top_logprobs': 'logprobs' must be set to true when \
                       'top_logprobs' is used.";
        return Err(ApiError::invalid_request(message).with_param("top_logprobs"));
    }
    Ok(())
}

fn tools<'a>(fields: &Fields<'a>) -> Result<Vec<FunctionTool<'a>>, ApiError> {
    let Some(tools) = fields.array("tools")? else {
        return Ok(Vec::new());
    };
    if tools.is_empty() {
        return Err(empty_array("tools"));
    }

    let mut functions = Vec::new();
    for (index, tool) in tools.iter().enumerate() {
        let tool = Fields::of(tool, format!("tools[{index}]"))?;
        if tool.require_one_of("type", &["function", "custom"])? == "custom" {
            tool.require_object("custom")?.require_string("name")?;
            continue;
        }

        let function = tool.require_object("function")?;
        let name = function.require_name("name")?;
        function.string("description")?;
        function.bool("strict")?;
        let parameters = function
            .object("parameters")?
            .and(function.get("parameters"));
        functions.push(FunctionTool { name, parameters });
    }
    Ok(functions)
}

fn tool_choice<'a>(
    fields: &Fields<'a>,
    tools: &[FunctionTool<'a>],
) -> Result<ToolChoice<'a>, ApiError> {
    let default = if tools.is_empty() {
        ToolChoice::None
    } else {
        ToolChoice::Auto
    };
    let choice = match fields.get("tool_choice") {
        None => return Ok(default),
        Some(Value::String(_)) => {
            match fields.one_of("tool_choice", &["none", "auto", "required"])? {
                Some("auto") => ToolChoice::Auto,
                Some("required") => ToolChoice::Required,
                _ => ToolChoice::None,
            }
        }
        Some(_) => tool_choice_object(&fields.require_object("tool_choice")?)?,
    };

    if choice != ToolChoice::None && fields.get("tools").is_none() {
        let message = "Invalid value for 'tool_choice': 'tool_choice' is only allowed when \
                       'tools' are specified.";
        return Err(ApiError::invalid_request(message).with_param("tool_choice"));
    }
    if let ToolChoice::Function(name) = choice
        && !tools.iter().any(|tool| tool.name == name)
    {
        let message = format!("Invalid 'tool_choice': no function named '{name}' in 'tools'.");
        return Err(ApiError::invalid_request(message).with_param("tool_choice"));
    }
    Ok(choice)
}

fn tool_choice_object<'a>(choice: &Fields<'a>) -> Result<ToolChoice<'a>, ApiError> {
    let kind = choice.require_one_of("type", &["function", "allowed_tools", "custom"])?;
    match kind {
        "function" => {
            let name = choice.require_object("function")?.require_string("name")?;
            Ok(ToolChoice::Function(name))
        }
        "allowed_tools" => {
            let allowed = choice.require_object("allowed_tools")?;
            allowed.require("tools")?;
            let required = allowed.require_one_of("mode", &["auto", "required"])? == "required";
            Ok(if required {
                ToolChoice::Required
            } else {
                ToolChoice::Auto
            })
        }
        _ => {
            choice.require_object("custom")?.require_string("name")?;
            Ok(ToolChoice::Auto)
        }
    }
}

fn response_format<'a>(fields: &Fields<'a>) -> Result<ResponseFormat<'a>, ApiError> {
    let Some(format) = fields.object("response_format")? else {
        return Ok(ResponseFormat::Text);
    };

    match format.require_one_of("type", &["text", "json_object", "json_schema"])? {
        "json_object" => Ok(ResponseFormat::JsonObject),
        "json_schema" => {
            let schema = format.require_object("json_schema")?;
            schema.require_name("name")?;
            schema.string("description")?;
            schema.bool("strict")?;
            let body = schema.object("schema")?.and(schema.get("schema"));
            Ok(ResponseFormat::JsonSchema(body))
        }
        _ => Ok(ResponseFormat::Text),
    }
}
