//! OpenAI's chat request translated to Anthropic's Messages request.
//!
//! What has an equivalent is mapped (PROTOCOLS.md 2.6); what would change the answer's
//! meaning if dropped is refused with a 400 naming the parameter. The rules for messages,
//! which need the most care, live in [`messages`].

mod messages;

use hub_core::Error;
use hub_core::chat::{
    ChatCompletionRequest, ResponseFormat, Tool, ToolChoice, ToolChoiceMode, ToolChoiceObject,
};
use serde_json::{Value, json};

use super::wire::{self, MessagesRequest, Metadata, OutputConfig, OutputFormat, ToolDefinition};

/// Anthropic's highest temperature; OpenAI's goes to 2.
const MAX_TEMPERATURE: f64 = 1.0;

/// Fields of OpenAI's request that ask nothing of the model's answer, so serving the
/// request without them changes nothing the client sees: storage and caching hints,
/// billing tier, and the metadata that only goes with stored completions.
const IGNORED_FIELDS: [&str; 4] = ["store", "metadata", "service_tier", "prompt_cache_key"];

/// The provider's settings that shape every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `max_tokens` when the client sets no limit, as Anthropic requires one.
    pub(crate) default_max_tokens: u32,
}

/// Translates `request` for the model Anthropic knows as `model`.
pub(crate) fn translate(
    request: ChatCompletionRequest,
    model: &str,
    settings: Settings,
) -> Result<MessagesRequest, Error> {
    refuse_unsupported(&request)?;

    let max_tokens = request
        .max_output_tokens()
        .unwrap_or(settings.default_max_tokens);
    let stream = request.is_stream().then_some(true);
    let output_config = output_config(request.response_format)?;
    let user = user_id(request.user, &request.extra)?;
    let tools = tools(request.tools)?;
    let tool_choice = tool_choice(
        request.tool_choice,
        request.parallel_tool_calls,
        tools.is_some(),
    )?;
    let conversation = messages::translate(request.messages)?;

    Ok(MessagesRequest {
        model: model.to_owned(),
        max_tokens,
        messages: conversation.messages,
        system: conversation.system,
        temperature: request.temperature,
        top_p: request.top_p,
        stop_sequences: request.stop.map(|stop| stop.sequences()),
        stream,
        tools,
        tool_choice,
        metadata: user.map(|user_id| Metadata { user_id }),
        output_config,
    })
}

/// A 400 naming `param`, for what Anthropic cannot do as asked.
fn unsupported(param: &str, message: impl Into<String>) -> Error {
    Error::InvalidRequest {
        message: message.into(),
        param: Some(param.to_owned()),
    }
}

/// Refuses the parameters with no Anthropic equivalent when they ask for something other
/// than their default, and every field Hub does not model unless it is known to be
/// harmless to leave out.
fn refuse_unsupported(request: &ChatCompletionRequest) -> Result<(), Error> {
    let refused = [
        ("n", request.n.is_some_and(|n| n != 1)),
        ("seed", request.seed.is_some()),
        ("logprobs", request.logprobs == Some(true)),
        ("top_logprobs", request.top_logprobs.is_some()),
        (
            "frequency_penalty",
            request
                .frequency_penalty
                .is_some_and(|penalty| penalty != 0.0),
        ),
        (
            "presence_penalty",
            request
                .presence_penalty
                .is_some_and(|penalty| penalty != 0.0),
        ),
        (
            "logit_bias",
            request
                .logit_bias
                .as_ref()
                .is_some_and(|bias| !bias.is_empty()),
        ),
    ];
    if let Some((param, _)) = refused.iter().find(|(_, refused)| *refused) {
        return Err(unsupported(
            param,
            format!("`{param}` is not supported by Anthropic models"),
        ));
    }

    check_temperature(request.temperature)?;
    check_extra_fields(&request.extra)
}

/// Anthropic's scale stops at 1, where OpenAI's stops at 2. Both call 1 their default, so a
/// value up to 1 means about the same on both and passes unchanged; above 1 there is no
/// equivalent, and clamping or rescaling would quietly change what the client asked for.
fn check_temperature(temperature: Option<f64>) -> Result<(), Error> {
    match temperature {
        Some(temperature) if temperature > MAX_TEMPERATURE => Err(unsupported(
            "temperature",
            format!(
                "`temperature` must be between 0 and 1 for Anthropic models (got {temperature})"
            ),
        )),
        _ => Ok(()),
    }
}

fn check_extra_fields(extra: &hub_core::Extra) -> Result<(), Error> {
    for (name, value) in extra {
        let text_only = name == "modalities" && *value == json!(["text"]);
        let harmless =
            IGNORED_FIELDS.contains(&name.as_str()) || name == "safety_identifier" || text_only;
        if !harmless && !value.is_null() {
            return Err(unsupported(
                name,
                format!("`{name}` is not supported by Anthropic models"),
            ));
        }
    }
    Ok(())
}

/// `metadata.user_id`, from `safety_identifier` (OpenAI's successor to `user`) or `user`.
fn user_id(user: Option<String>, extra: &hub_core::Extra) -> Result<Option<String>, Error> {
    match extra.get("safety_identifier") {
        None | Some(Value::Null) => Ok(user),
        Some(Value::String(identifier)) => Ok(Some(identifier.clone())),
        Some(_) => Err(unsupported(
            "safety_identifier",
            "`safety_identifier` must be a string",
        )),
    }
}

/// `response_format`. A schema maps to structured output; JSON without a schema has no
/// Anthropic equivalent.
fn output_config(format: Option<ResponseFormat>) -> Result<Option<OutputConfig>, Error> {
    match format {
        None | Some(ResponseFormat::Text) => Ok(None),
        Some(ResponseFormat::JsonObject) => Err(unsupported(
            "response_format",
            "Anthropic models have no JSON mode without a schema; send `response_format` of \
             type `json_schema` with a `schema` instead of `json_object`",
        )),
        Some(ResponseFormat::JsonSchema { json_schema }) => {
            let schema = json_schema.schema.ok_or_else(|| {
                unsupported(
                    "response_format.json_schema.schema",
                    "Anthropic models need the `schema` of a `json_schema` response format",
                )
            })?;
            Ok(Some(OutputConfig {
                format: OutputFormat::JsonSchema { schema },
            }))
        }
    }
}

fn tools(tools: Option<Vec<Tool>>) -> Result<Option<Vec<ToolDefinition>>, Error> {
    let Some(tools) = tools.filter(|tools| !tools.is_empty()) else {
        return Ok(None);
    };

    let definitions = tools
        .into_iter()
        .enumerate()
        .map(|(index, tool)| match tool {
            Tool::Function { function } => Ok(ToolDefinition {
                name: function.name,
                description: function.description,
                // Anthropic requires a schema; a function without parameters takes none.
                input_schema: function
                    .parameters
                    .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
                strict: function.strict,
            }),
            Tool::Custom { .. } => Err(unsupported(
                &format!("tools[{index}]"),
                "custom tools are not supported by Anthropic models; use function tools",
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(definitions))
}

/// `tool_choice` and `parallel_tool_calls`, which Anthropic folds into one object.
fn tool_choice(
    choice: Option<ToolChoice>,
    parallel_tool_calls: Option<bool>,
    has_tools: bool,
) -> Result<Option<wire::ToolChoice>, Error> {
    let disable_parallel_tool_use = (parallel_tool_calls == Some(false)).then_some(true);
    let wants_tools = !matches!(choice, None | Some(ToolChoice::Mode(ToolChoiceMode::None)));
    if wants_tools && !has_tools {
        return Err(unsupported(
            "tool_choice",
            "`tool_choice` is only allowed when `tools` are given",
        ));
    }
    if !has_tools {
        return Ok(None);
    }

    let choice = match choice {
        None if disable_parallel_tool_use.is_none() => return Ok(None),
        None | Some(ToolChoice::Mode(ToolChoiceMode::Auto)) => wire::ToolChoice::Auto {
            disable_parallel_tool_use,
        },
        Some(ToolChoice::Mode(ToolChoiceMode::None)) => wire::ToolChoice::None,
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) => wire::ToolChoice::Any {
            disable_parallel_tool_use,
        },
        Some(ToolChoice::Object(ToolChoiceObject::Function { function })) => {
            wire::ToolChoice::Tool {
                name: function.name,
                disable_parallel_tool_use,
            }
        }
        Some(ToolChoice::Object(ToolChoiceObject::AllowedTools { .. })) => {
            return Err(unsupported(
                "tool_choice",
                "`allowed_tools` is not supported by Anthropic models; send only the allowed \
                 tools in `tools` instead",
            ));
        }
        Some(ToolChoice::Object(ToolChoiceObject::Custom { .. })) => {
            return Err(unsupported(
                "tool_choice",
                "custom tools are not supported by Anthropic models",
            ));
        }
    };
    Ok(Some(choice))
}

#[cfg(test)]
mod tests;
