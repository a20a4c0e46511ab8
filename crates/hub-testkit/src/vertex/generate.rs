//! A `GenerateContentRequest` checked as Vertex AI checks it, and reduced to what shapes the
//! reply.
//!
//! Beyond field names, types and ranges, the checks Gemini makes on a conversation are made
//! here: roles are `user` or `model`, each part holds exactly one kind of data, function calls
//! come from the model and function responses from the user, and a turn of function responses
//! follows the turn of calls it answers, one response per call.

use serde_json::{Map, Value};

use super::error::GoogleError;
use super::fields::{Fields, each};
use super::schema;

/// The part kinds, of which a part holds exactly one.
const DATA: [&str; 5] = [
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
];

const GENERATION_FIELDS: [&str; 17] = [
    "temperature",
    "topP",
    "topK",
    "candidateCount",
    "maxOutputTokens",
    "stopSequences",
    "presencePenalty",
    "frequencyPenalty",
    "seed",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "responseLogprobs",
    "logprobs",
    "responseModalities",
    "thinkingConfig",
    "mediaResolution",
];

/// One turn of the conversation, as the reply needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Turn<'a> {
    pub(super) role: &'a str,
    pub(super) texts: Vec<&'a str>,
    pub(super) calls: usize,
    pub(super) responses: usize,
}

/// How the model may call functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Mode<'a> {
    Auto,
    None,
    /// It must call one of these, or of all declared when the list is empty.
    Any(Vec<&'a str>),
}

/// The parts of a valid request the reply depends on.
#[derive(Debug)]
pub(super) struct Generate<'a> {
    pub(super) turns: Vec<Turn<'a>>,
    pub(super) instructions: Vec<&'a str>,
    pub(super) functions: Vec<(&'a str, Option<&'a Value>)>,
    pub(super) mode: Mode<'a>,
    pub(super) candidates: usize,
    pub(super) max_tokens: Option<usize>,
    pub(super) stop: Vec<&'a str>,
    /// `Some` when JSON was asked for, with the schema when one was given.
    pub(super) json: Option<Option<&'a Value>>,
}

impl<'a> Generate<'a> {
    pub(super) fn parse(body: &'a Map<String, Value>) -> Result<Self, GoogleError> {
        let fields = Fields::root(body);
        fields.only(&[
            "contents",
            "systemInstruction",
            "tools",
            "toolConfig",
            "generationConfig",
            "safetySettings",
            "labels",
            "cachedContent",
        ])?;

        let turns = turns(&fields)?;
        let instructions = instructions(&fields)?;
        let tools = each(fields.array("tools")?.unwrap_or_default(), "tools")?;
        let functions = schema::declarations(&tools)?;
        let mode = mode(&fields, &functions)?;
        let config = fields.object("generationConfig")?;
        let generation = generation(config.as_ref())?;

        Ok(Self {
            turns,
            instructions,
            functions,
            mode,
            candidates: generation.candidates,
            max_tokens: generation.max_tokens,
            stop: generation.stop,
            json: generation.json,
        })
    }
}

fn turns<'a>(fields: &Fields<'a>) -> Result<Vec<Turn<'a>>, GoogleError> {
    let contents = fields.require_items("contents")?;
    let mut turns: Vec<Turn<'a>> = Vec::new();

    for content in each(contents, "contents")? {
        content.only(&["role", "parts"])?;
        // A single-turn request may leave the role out; it is then the user's.
        let role = content.string("role")?.unwrap_or("user");
        if role != "user" && role != "model" {
            return Err(GoogleError::invalid_argument(
                "Please use a valid role: user, model.",
            ));
        }

        let turn = turn(&content, role)?;
        if turn.responses > 0 {
            check_answers(turns.last(), &turn)?;
        }
        turns.push(turn);
    }
    Ok(turns)
}

fn turn<'a>(content: &Fields<'a>, role: &'a str) -> Result<Turn<'a>, GoogleError> {
    let mut turn = Turn {
        role,
        texts: Vec::new(),
        calls: 0,
        responses: 0,
    };
    let parts = content.require_items("parts")?;
    for part in each(parts, &content.path("parts"))? {
        match data_kind(&part)? {
            "text" => turn.texts.push(part.require_string("text")?),
            "inlineData" => blob(&part, "inlineData", "data")?,
            "fileData" => blob(&part, "fileData", "fileUri")?,
            "functionCall" if role == "model" => {
                let call = part.require_object("functionCall")?;
                call.only(&["name", "args"])?;
                call.require_string("name")?;
                call.object("args")?;
                turn.calls += 1;
            }
            "functionResponse" if role == "user" => {
                let response = part.require_object("functionResponse")?;
                response.only(&["name", "response"])?;
                response.require_string("name")?;
                if response.object("response")?.is_none() {
                    return Err(GoogleError::missing(&response.path("response")));
                }
                turn.responses += 1;
            }
            misplaced => {
                return Err(GoogleError::invalid_argument(format!(
                    "{}: a {misplaced} part is not allowed in a {role} turn.",
                    part.path(misplaced)
                )));
            }
        }
    }
    Ok(turn)
}

/// The one data field a part holds.
fn data_kind(part: &Fields<'_>) -> Result<&'static str, GoogleError> {
    part.only(&[
        "text",
        "inlineData",
        "fileData",
        "functionCall",
        "functionResponse",
        "thought",
        "thoughtSignature",
    ])?;
    let present: Vec<&'static str> = DATA
        .into_iter()
        .filter(|kind| part.get(kind).is_some())
        .collect();
    match present.as_slice() {
        [one] => Ok(one),
        _ => Err(GoogleError::invalid_argument(format!(
            "{}: a part must hold exactly one of text, inlineData, fileData, functionCall or \
             functionResponse.",
            part.path("data")
        ))),
    }
}

/// `inlineData` or `fileData`: a MIME type and the data or its URI.
fn blob(part: &Fields<'_>, kind: &str, payload: &str) -> Result<(), GoogleError> {
    let blob = part.require_object(kind)?;
    blob.only(&["mimeType", payload, "displayName"])?;
    let mime_type = blob.require_string("mimeType")?;
    if !mime_type.contains('/') {
        return Err(GoogleError::invalid_value(
            &blob.path("mimeType"),
            "not a MIME type",
        ));
    }
    let data = blob.require_string(payload)?;
    let is_base64 = |data: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .is_ok()
    };
    if payload == "data" && !is_base64(data) {
        return Err(GoogleError::invalid_value(
            &blob.path("data"),
            "invalid base64 data",
        ));
    }
    Ok(())
}

/// A turn of function responses must answer the turn of calls just before it, call for call.
fn check_answers(previous: Option<&Turn<'_>>, answers: &Turn<'_>) -> Result<(), GoogleError> {
    let Some(calls) = previous.filter(|turn| turn.role == "model" && turn.calls > 0) else {
        return Err(GoogleError::invalid_argument(
            "Please ensure that function response turn comes immediately after a function call \
             turn.",
        ));
    };
    if calls.calls != answers.responses {
        return Err(GoogleError::invalid_argument(
            "Please ensure that the number of function response parts is equal to the number \
             of function call parts of the function call turn.",
        ));
    }
    Ok(())
}

fn instructions<'a>(fields: &Fields<'a>) -> Result<Vec<&'a str>, GoogleError> {
    let Some(system) = fields.object("systemInstruction")? else {
        return Ok(Vec::new());
    };
    system.only(&["role", "parts"])?;
    let parts = system.require_items("parts")?;
    each(parts, &system.path("parts"))?
        .iter()
        .map(|part| {
            part.only(&["text"])?;
            part.require_string("text")
        })
        .collect()
}

fn mode<'a>(
    fields: &Fields<'a>,
    functions: &[(&'a str, Option<&'a Value>)],
) -> Result<Mode<'a>, GoogleError> {
    let Some(config) = fields.object("toolConfig")? else {
        return Ok(Mode::Auto);
    };
    config.only(&["functionCallingConfig", "retrievalConfig"])?;
    let Some(calling) = config.object("functionCallingConfig")? else {
        return Ok(Mode::Auto);
    };
    calling.only(&["mode", "allowedFunctionNames"])?;

    let names = calling.array("allowedFunctionNames")?.unwrap_or_default();
    let names: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
    if let Some(unknown) = names
        .iter()
        .find(|name| !functions.iter().any(|(f, _)| f == *name))
    {
        return Err(GoogleError::invalid_argument(format!(
            "allowed_function_names: `{unknown}` is not a declared function."
        )));
    }

    let mode = calling.string("mode")?.unwrap_or("AUTO");
    if !names.is_empty() && mode != "ANY" {
        return Err(GoogleError::invalid_argument(
            "allowed_function_names should only be set when the Mode is ANY.",
        ));
    }
    match mode {
        "AUTO" | "MODE_UNSPECIFIED" | "VALIDATED" => Ok(Mode::Auto),
        "NONE" => Ok(Mode::None),
        "ANY" => Ok(Mode::Any(names)),
        other => {
            let mode_type = "google.cloud.aiplatform.v1.FunctionCallingConfig.Mode";
            let why = format!("(type.googleapis.com/{mode_type}), \"{other}\"");
            Err(GoogleError::invalid_value(&calling.path("mode"), &why))
        }
    }
}

/// The generation settings the reply obeys.
struct Generation<'a> {
    candidates: usize,
    max_tokens: Option<usize>,
    stop: Vec<&'a str>,
    json: Option<Option<&'a Value>>,
}

fn generation<'a>(config: Option<&Fields<'a>>) -> Result<Generation<'a>, GoogleError> {
    let Some(config) = config else {
        return Ok(Generation {
            candidates: 1,
            max_tokens: None,
            stop: Vec::new(),
            json: None,
        });
    };
    config.only(&GENERATION_FIELDS)?;
    config.number("temperature", 0.0, 2.0)?;
    config.number("topP", 0.0, 1.0)?;
    config.number("presencePenalty", -2.0, 2.0)?;
    config.number("frequencyPenalty", -2.0, 2.0)?;
    config.integer("seed", i64::from(i32::MIN), i64::from(i32::MAX))?;
    config.integer("topK", 1, 64)?;
    config.bool("responseLogprobs")?;

    let candidates = config.integer("candidateCount", 1, 8)?.unwrap_or(1);
    let max_tokens = config.integer("maxOutputTokens", 1, 65_536)?;
    Ok(Generation {
        candidates: usize::try_from(candidates).unwrap_or(1),
        max_tokens: max_tokens.and_then(|tokens| usize::try_from(tokens).ok()),
        stop: stop_sequences(config)?,
        json: json_output(config)?,
    })
}

fn stop_sequences<'a>(config: &Fields<'a>) -> Result<Vec<&'a str>, GoogleError> {
    let sequences = config.array("stopSequences")?.unwrap_or_default();
    if sequences.len() > 5 {
        return Err(GoogleError::invalid_value(
            &config.path("stopSequences"),
            "at most 5 stop sequences",
        ));
    }
    sequences
        .iter()
        .map(|sequence| {
            sequence.as_str().ok_or_else(|| {
                GoogleError::invalid_value(&config.path("stopSequences"), "expected strings")
            })
        })
        .collect()
}

fn json_output<'a>(config: &Fields<'a>) -> Result<Option<Option<&'a Value>>, GoogleError> {
    let mime_type = config.string("responseMimeType")?;
    let schema = config.get("responseSchema");
    if let Some(schema) = schema {
        schema::check(schema, config.path("responseSchema"))?;
    }

    match mime_type {
        None | Some("text/plain") if schema.is_some() => Err(GoogleError::invalid_argument(
            "response_mime_type must be application/json or text/x.enum when response_schema \
             is set.",
        )),
        None | Some("text/plain") => Ok(None),
        Some("application/json" | "text/x.enum") => Ok(Some(schema)),
        Some(other) => Err(GoogleError::invalid_value(
            &config.path("responseMimeType"),
            &format!("unsupported MIME type \"{other}\""),
        )),
    }
}

#[cfg(test)]
mod tests;
