//! `POST /model/{modelId}/invoke` for the embedding models: Amazon Titan Text Embeddings
//! (`inputText`, one text per call) and Cohere Embed (`texts`, up to 96 per call).
//!
//! Bodies are checked as the models check them, extraneous keys included. Vectors are the
//! OpenAI emulator's: deterministic unit vectors of each text, so the same text gives the
//! same vector on both emulators. The prompt's token count is sent in
//! `X-Amzn-Bedrock-Input-Token-Count`, as Bedrock does for every model.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use serde_json::{Map, Value, json};

use super::error::AwsError;
use crate::body::{self, MockBody};
use crate::embeddings::vector;
use crate::tokens;

const COHERE_MAX_TEXTS: usize = 96;

/// `serial` is unique within the emulator, for Cohere's ids.
pub(super) fn respond(
    body: &Map<String, Value>,
    model: &str,
    serial: u64,
) -> Result<Response<MockBody>, AwsError> {
    let (answer, tokens) = if model.contains("titan-embed") {
        titan(body, model.contains("titan-embed-text-v1"))?
    } else {
        cohere(body, model.contains("cohere.embed-v4"), serial)?
    };

    let mut response = body::full(
        StatusCode::OK,
        "application/json",
        Bytes::from(answer.to_string()),
    );
    response.headers_mut().insert(
        "x-amzn-bedrock-input-token-count",
        HeaderValue::from(tokens),
    );
    Ok(response)
}

fn malformed(detail: impl std::fmt::Display) -> AwsError {
    AwsError::validation(format!(
        "Malformed input request: {detail}, please reformat your input and try again."
    ))
}

fn only_keys(body: &Map<String, Value>, allowed: &[&str]) -> Result<(), AwsError> {
    match body.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(malformed(format!(
            "extraneous key [{key}] is not permitted"
        ))),
        None => Ok(()),
    }
}

/// A member that must be one of `allowed` when present.
fn one_of(value: Option<&Value>, key: &str, allowed: &[Value]) -> Result<(), AwsError> {
    match value {
        Some(value) if !allowed.contains(value) => Err(malformed(format!(
            "#/{key}: {value} is not a valid enum value"
        ))),
        _ => Ok(()),
    }
}

fn titan(body: &Map<String, Value>, v1: bool) -> Result<(Value, usize), AwsError> {
    let allowed: &[&str] = if v1 {
        &["inputText"]
    } else {
        &["inputText", "dimensions", "normalize", "embeddingTypes"]
    };
    only_keys(body, allowed)?;
    let text = body
        .get("inputText")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("#: required key [inputText] not found"))?;
    if text.is_empty() {
        return Err(malformed("#/inputText: expected minLength: 1, actual: 0"));
    }
    one_of(
        body.get("dimensions"),
        "dimensions",
        &[json!(256), json!(512), json!(1024)],
    )?;
    if body
        .get("normalize")
        .is_some_and(|value| !value.is_boolean())
    {
        return Err(malformed("#/normalize: expected type: Boolean"));
    }

    let dimensions = body
        .get("dimensions")
        .and_then(Value::as_u64)
        .map_or(if v1 { 1536 } else { 1024 }, |d| {
            usize::try_from(d).unwrap_or(1024)
        });
    let embedding = vector(text, dimensions);
    let tokens = tokens::count(text);
    let answer = json!({
        "embedding": embedding,
        "embeddingsByType": {"float": embedding},
        "inputTextTokenCount": tokens,
    });
    Ok((answer, tokens))
}

fn cohere(body: &Map<String, Value>, v4: bool, serial: u64) -> Result<(Value, usize), AwsError> {
    let mut allowed = vec!["texts", "input_type", "truncate", "embedding_types"];
    if v4 {
        allowed.push("output_dimension");
    }
    only_keys(body, &allowed)?;

    let texts = cohere_texts(body)?;
    let input_types = [
        json!("search_document"),
        json!("search_query"),
        json!("classification"),
        json!("clustering"),
    ];
    if body.get("input_type").is_none() {
        return Err(malformed("#: required key [input_type] not found"));
    }
    one_of(body.get("input_type"), "input_type", &input_types)?;
    one_of(
        body.get("truncate"),
        "truncate",
        &[json!("NONE"), json!("START"), json!("END")],
    )?;
    one_of(
        body.get("output_dimension"),
        "output_dimension",
        &[json!(256), json!(512), json!(1024), json!(1536)],
    )?;

    let dimensions = body
        .get("output_dimension")
        .and_then(Value::as_u64)
        .map_or(if v4 { 1536 } else { 1024 }, |d| {
            usize::try_from(d).unwrap_or(1024)
        });
    let vectors: Vec<Vec<f32>> = texts.iter().map(|text| vector(text, dimensions)).collect();
    let tokens = texts.iter().map(|text| tokens::count(text)).sum();
    let id = format!("emb-mock{serial:06}");
    let answer = if floats_by_type(body)? {
        json!({"id": id, "texts": texts, "response_type": "embeddings_by_type",
                           "embeddings": {"float": vectors}})
    } else {
        json!({"id": id, "texts": texts, "response_type": "embeddings_floats",
               "embeddings": vectors})
    };
    Ok((answer, tokens))
}

fn cohere_texts(body: &Map<String, Value>) -> Result<Vec<&str>, AwsError> {
    let texts = body
        .get("texts")
        .ok_or_else(|| malformed("#: required key [texts] not found"))?
        .as_array()
        .and_then(|texts| texts.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
        .ok_or_else(|| malformed("#/texts: expected type: JSONArray of strings"))?;
    if texts.is_empty() || texts.len() > COHERE_MAX_TEXTS {
        return Err(malformed(format!(
            "#/texts: expected between 1 and {COHERE_MAX_TEXTS} items, found {}",
            texts.len()
        )));
    }
    Ok(texts)
}

/// Whether `embedding_types` asks for floats, which Cohere then answers by type; other
/// types are not emulated.
fn floats_by_type(body: &Map<String, Value>) -> Result<bool, AwsError> {
    match body.get("embedding_types") {
        None => Ok(false),
        Some(types) if types == &json!(["float"]) => Ok(true),
        Some(types) => Err(malformed(format!(
            "#/embedding_types: {types} is not supported by this emulator, only [\"float\"]"
        ))),
    }
}
