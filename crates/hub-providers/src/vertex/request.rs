//! OpenAI's chat request as a `GenerateContentRequest`.
//!
//! - `system` and `developer` messages become `systemInstruction`; `user` and `tool` turns are
//!   `user` contents, `assistant` turns `model` contents, and neighbouring turns of one role
//!   are merged, as Vertex expects the results of parallel calls in one turn.
//! - Images become `inlineData` (data URLs) or `fileData` (http, https and gs URLs), audio and
//!   inline files `inlineData`.
//! - Tool calls become `functionCall` parts. Vertex has no call ids, so a tool result is
//!   matched to its call by id here and sent as a `functionResponse` with the call's name.
//! - Tools are translated in [`super::tools`]; the sampling settings and `response_format`
//!   become the `generationConfig`.
//!
//! What Vertex cannot honour is refused with a 400 naming the parameter, never dropped.

use std::collections::HashMap;

use hub_core::Error;
use hub_core::chat::{
    AssistantMessage, ChatCompletionRequest, ChatMessage, ContentPart, MessageContent,
    ResponseFormat, ToolMessage,
};
use serde_json::{Map, Value};

use super::wire::{
    Blob, Content, FileData, FunctionCall, FunctionResponse, GenerateContentRequest,
    GenerationConfig, Part, SystemInstruction,
};
use super::{refuse, schema, tools, unsupported};

/// Fields Hub does not model that change nothing about the answer, so Vertex may go without.
const IGNORED_FIELDS: [&str; 5] = [
    "store",
    "metadata",
    "service_tier",
    "prompt_cache_key",
    "safety_identifier",
];

/// The request Vertex receives for `request`.
pub(crate) fn chat_request(
    request: &ChatCompletionRequest,
) -> Result<GenerateContentRequest, Error> {
    check_supported(request)?;

    let conversation = conversation(&request.messages)?;
    let (tools, tool_config) = tools::tools(request)?;
    Ok(GenerateContentRequest {
        contents: conversation.contents,
        system_instruction: conversation.system,
        tools,
        tool_config,
        generation_config: generation_config(request)?,
    })
}

/// Refuses what has no equivalent in Vertex AI.
fn check_supported(request: &ChatCompletionRequest) -> Result<(), Error> {
    if request.logprobs == Some(true) {
        return Err(unsupported("logprobs"));
    }
    if request.top_logprobs.is_some() {
        return Err(unsupported("top_logprobs"));
    }
    if request
        .logit_bias
        .as_ref()
        .is_some_and(|bias| !bias.is_empty())
    {
        return Err(unsupported("logit_bias"));
    }
    if request.parallel_tool_calls == Some(false) {
        return Err(refuse(
            "parallel_tool_calls",
            "Vertex AI cannot be told to call at most one function",
        ));
    }
    match request
        .extra
        .keys()
        .find(|field| !IGNORED_FIELDS.contains(&field.as_str()))
    {
        Some(field) => Err(unsupported(field)),
        None => Ok(()),
    }
}

/// The turns of the conversation and the instructions.
struct Conversation {
    contents: Vec<Content>,
    system: Option<SystemInstruction>,
}

fn conversation(messages: &[ChatMessage]) -> Result<Conversation, Error> {
    let mut contents: Vec<Content> = Vec::new();
    let mut instructions = Vec::new();
    let mut call_names: HashMap<&str, &str> = HashMap::new();

    for (index, message) in messages.iter().enumerate() {
        let (role, parts) = match message {
            ChatMessage::System(message) | ChatMessage::Developer(message) => {
                instructions.extend(text_parts(&message.content, index)?);
                continue;
            }
            ChatMessage::User(message) => ("user", user_parts(&message.content, index)?),
            ChatMessage::Assistant(message) => {
                for call in message.tool_calls.iter().flatten() {
                    call_names.insert(&call.id, &call.function.name);
                }
                ("model", model_parts(message, index)?)
            }
            ChatMessage::Tool(message) => ("user", vec![tool_result(message, &call_names, index)?]),
        };
        push_turn(&mut contents, role, parts);
    }

    if contents.is_empty() {
        return Err(refuse(
            "messages",
            "Vertex AI needs at least one user or assistant message",
        ));
    }
    let system = (!instructions.is_empty()).then_some(SystemInstruction {
        parts: instructions,
    });
    Ok(Conversation { contents, system })
}

/// Adds a turn, merged into the last one when the role is the same.
fn push_turn(contents: &mut Vec<Content>, role: &'static str, parts: Vec<Part>) {
    if parts.is_empty() {
        return;
    }
    match contents.last_mut() {
        Some(last) if last.role == role => last.parts.extend(parts),
        _ => contents.push(Content { role, parts }),
    }
}

/// The text parts of an instruction or a plain user message; other parts have no place in an
/// instruction.
fn text_parts(content: &MessageContent, index: usize) -> Result<Vec<Part>, Error> {
    let texts = match content {
        MessageContent::Text(text) => vec![text.clone()],
        MessageContent::Parts(parts) => parts
            .iter()
            .enumerate()
            .map(|(position, part)| match part {
                ContentPart::Text(part) => Ok(part.text.clone()),
                _ => Err(refuse(
                    &format!("messages[{index}].content[{position}]"),
                    "only text parts can be sent to Vertex AI here",
                )),
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(texts
        .into_iter()
        .filter(|text| !text.is_empty())
        .map(Part::Text)
        .collect())
}

fn user_parts(content: &MessageContent, index: usize) -> Result<Vec<Part>, Error> {
    let parts = match content {
        MessageContent::Text(_) => text_parts(content, index)?,
        MessageContent::Parts(parts) => parts
            .iter()
            .enumerate()
            .map(|(position, part)| {
                user_part(part, &format!("messages[{index}].content[{position}]"))
            })
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect(),
    };
    if parts.is_empty() {
        return Err(refuse(
            &format!("messages[{index}].content"),
            "Vertex AI refuses an empty message",
        ));
    }
    Ok(parts)
}

/// One part of a user message; empty text is left out.
fn user_part(part: &ContentPart, param: &str) -> Result<Option<Part>, Error> {
    let part = match part {
        ContentPart::Text(text) if text.text.is_empty() => return Ok(None),
        ContentPart::Text(text) => Part::Text(text.text.clone()),
        ContentPart::ImageUrl(image) => media(&image.image_url.url, param)?,
        ContentPart::InputAudio(audio) => Part::InlineData(Blob {
            mime_type: format!("audio/{}", audio.input_audio.format),
            data: audio.input_audio.data.clone(),
        }),
        ContentPart::File(file) => match &file.file.file_data {
            Some(data) => media(data, param)?,
            None => {
                return Err(refuse(
                    param,
                    "Vertex AI cannot read OpenAI file ids; send the file as `file_data`",
                ));
            }
        },
        ContentPart::Refusal(_) => {
            return Err(refuse(param, "a refusal belongs to an assistant message"));
        }
    };
    Ok(Some(part))
}

/// A `data:` URL as inline data, or a URL Vertex fetches itself as file data.
fn media(url: &str, param: &str) -> Result<Part, Error> {
    if let Some(data_url) = url.strip_prefix("data:") {
        let (mime_type, data) = data_url
            .split_once(";base64,")
            .ok_or_else(|| refuse(param, "a data URL must be `data:<type>;base64,<data>`"))?;
        return Ok(Part::InlineData(Blob {
            mime_type: mime_type.to_owned(),
            data: data.to_owned(),
        }));
    }

    let fetchable = ["https://", "http://", "gs://"]
        .iter()
        .any(|scheme| url.starts_with(scheme));
    if !fetchable {
        return Err(refuse(
            param,
            "Vertex AI reads http, https and gs URLs and data URLs",
        ));
    }
    let mime_type = mime_type_of(url).ok_or_else(|| {
        refuse(
            param,
            "Vertex AI needs the file's type, and the URL does not end in a known extension \
             (png, jpg, jpeg, gif, webp, heic, heif, pdf); send it as a data URL",
        )
    })?;
    Ok(Part::FileData(FileData {
        mime_type: mime_type.to_owned(),
        file_uri: url.to_owned(),
    }))
}

fn mime_type_of(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "pdf" => "application/pdf",
        _ => return None,
    })
}

/// An earlier answer: its text, then its calls.
fn model_parts(message: &AssistantMessage, index: usize) -> Result<Vec<Part>, Error> {
    let mut parts = Vec::new();
    if let Some(content) = &message.content {
        let texts = match content {
            MessageContent::Text(text) => vec![text.clone()],
            MessageContent::Parts(parts) => parts
                .iter()
                .filter_map(|part| match part {
                    ContentPart::Text(part) => Some(part.text.clone()),
                    ContentPart::Refusal(part) => Some(part.refusal.clone()),
                    _ => None,
                })
                .collect(),
        };
        parts.extend(texts.into_iter().filter(|t| !t.is_empty()).map(Part::Text));
    }

    for (position, call) in message.tool_calls.iter().flatten().enumerate() {
        let param = format!("messages[{index}].tool_calls[{position}].function.arguments");
        parts.push(Part::FunctionCall(FunctionCall {
            name: call.function.name.clone(),
            args: json_object(&call.function.arguments)
                .ok_or_else(|| refuse(&param, "arguments must be a JSON object"))?,
        }));
    }
    Ok(parts)
}

/// A tool result, named after the call it answers. Vertex wants an object: a JSON object is
/// sent as it is, anything else as `{"result": <text>}`.
fn tool_result(
    message: &ToolMessage,
    call_names: &HashMap<&str, &str>,
    index: usize,
) -> Result<Part, Error> {
    let name = call_names
        .get(message.tool_call_id.as_str())
        .ok_or_else(|| {
            refuse(
                &format!("messages[{index}].tool_call_id"),
                "no earlier assistant message made a tool call with this id",
            )
        })?;

    let text = message.content.text();
    let response = json_object(&text)
        .unwrap_or_else(|| Map::from_iter([("result".to_owned(), Value::String(text))]));
    Ok(Part::FunctionResponse(FunctionResponse {
        name: (*name).to_owned(),
        response,
    }))
}

fn json_object(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str(text) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

fn generation_config(request: &ChatCompletionRequest) -> Result<Option<GenerationConfig>, Error> {
    let seed = request
        .seed
        .map(i32::try_from)
        .transpose()
        .map_err(|_| refuse("seed", "Vertex AI takes a 32-bit seed"))?;
    let (response_mime_type, response_schema) = response_format(request)?;

    let config = GenerationConfig {
        max_output_tokens: request.max_output_tokens(),
        temperature: request.temperature,
        top_p: request.top_p,
        candidate_count: request.n,
        stop_sequences: request
            .stop
            .as_ref()
            .map(|stop| stop.sequences())
            .unwrap_or_default(),
        seed,
        presence_penalty: request.presence_penalty,
        frequency_penalty: request.frequency_penalty,
        response_mime_type,
        response_schema,
    };
    Ok((config != GenerationConfig::default()).then_some(config))
}

fn response_format(
    request: &ChatCompletionRequest,
) -> Result<(Option<&'static str>, Option<Value>), Error> {
    match &request.response_format {
        None | Some(ResponseFormat::Text) => Ok((None, None)),
        Some(ResponseFormat::JsonObject) => Ok((Some("application/json"), None)),
        Some(ResponseFormat::JsonSchema { json_schema }) => {
            let param = "response_format.json_schema.schema";
            let schema = json_schema
                .schema
                .as_ref()
                .map(|schema| schema::convert(schema, param))
                .transpose()?;
            Ok((Some("application/json"), schema))
        }
    }
}

#[cfg(test)]
mod tests;
