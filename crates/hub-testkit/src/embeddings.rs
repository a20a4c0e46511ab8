//! `POST /v1/embeddings`: deterministic unit vectors derived from each input's text.
//!
//! The same text always yields the same vector (8 dimensions unless `dimensions` is set), so a
//! test can compare a float answer with a base64 one, or two inputs with each other.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{Response, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::body::{self, MockBody};
use crate::config::MockConfig;
use crate::error::ApiError;
use crate::inputs::{self, TextInput};
use crate::models::{self, ModelKind};
use crate::validate::{self, Fields};

const DEFAULT_DIMENSIONS: usize = 8;
/// The largest `dimensions` any OpenAI embedding model offers (`text-embedding-3-large`).
const MAX_DIMENSIONS: usize = 3072;
const MAX_INPUTS: usize = 2048;

#[derive(Serialize)]
struct EmbeddingList<'a> {
    object: &'static str,
    data: Vec<Embedding>,
    model: &'a str,
    usage: Usage,
}

#[derive(Serialize)]
struct Embedding {
    object: &'static str,
    index: usize,
    embedding: Encoded,
}

/// `float` sends numbers; `base64` sends the little-endian `f32` bytes, which both official
/// SDKs ask for by default.
#[derive(Serialize)]
#[serde(untagged)]
enum Encoded {
    Float(Vec<f32>),
    Base64(String),
}

#[derive(Serialize)]
struct Usage {
    prompt_tokens: usize,
    total_tokens: usize,
}

#[derive(Debug)]
struct EmbeddingRequest<'a> {
    model: &'a str,
    inputs: Vec<TextInput>,
    base64: bool,
    dimensions: usize,
}

impl<'a> EmbeddingRequest<'a> {
    fn parse(body: &'a Map<String, Value>) -> Result<Self, ApiError> {
        let fields = Fields::root(body);
        let inputs = parse_inputs(&fields)?;
        let model = fields.require_string("model")?;
        let format = fields.one_of("encoding_format", &["float", "base64"])?;
        let dimensions = fields.count("dimensions", 1, MAX_DIMENSIONS)?;
        fields.string("user")?;

        if dimensions.is_some() && !model.starts_with("text-embedding-3") {
            let message = "This model does not support specifying dimensions.";
            return Err(ApiError::invalid_request(message).with_param("dimensions"));
        }

        Ok(Self {
            model,
            inputs,
            base64: format == Some("base64"),
            dimensions: dimensions.unwrap_or(DEFAULT_DIMENSIONS),
        })
    }
}

/// `input`, which must hold between 1 and 2048 items, none of them empty.
fn parse_inputs(fields: &Fields<'_>) -> Result<Vec<TextInput>, ApiError> {
    let inputs = inputs::parse(fields.require("input")?, "input")?;
    if inputs.len() > MAX_INPUTS {
        return Err(validate::array_too_long("input", MAX_INPUTS, inputs.len()));
    }

    if inputs.iter().any(|input| input.text.is_empty()) {
        let message = "'$.input' is invalid: an input must not be empty.";
        return Err(ApiError::invalid_request(message).with_param("input"));
    }
    Ok(inputs)
}

pub(crate) fn respond(
    config: &MockConfig,
    body: &Map<String, Value>,
) -> Result<Response<MockBody>, ApiError> {
    let request = EmbeddingRequest::parse(body)?;
    models::check(config, request.model, ModelKind::Embedding)?;

    let data = request
        .inputs
        .iter()
        .enumerate()
        .map(|(index, input)| {
            let vector = vector(&input.text, request.dimensions);
            let embedding = if request.base64 {
                Encoded::Base64(encode(&vector))
            } else {
                Encoded::Float(vector)
            };
            Embedding {
                object: "embedding",
                index,
                embedding,
            }
        })
        .collect();

    let tokens = request.inputs.iter().map(|input| input.tokens).sum();
    let model = models::snapshot(request.model);
    let list = EmbeddingList {
        object: "list",
        data,
        model: &model,
        usage: Usage {
            prompt_tokens: tokens,
            total_tokens: tokens,
        },
    };
    Ok(body::json(StatusCode::OK, &list))
}

/// A unit vector seeded by the FNV-1a hash of `text`, one SplitMix64 draw per component.
pub(crate) fn vector(text: &str, dimensions: usize) -> Vec<f32> {
    let seed = fnv1a(text.as_bytes());
    let raw: Vec<f32> = (0..dimensions)
        .map(|component| {
            let bits = splitmix64(seed.wrapping_add(component as u64));
            // The top 24 bits fit an f32 mantissa exactly, giving an even spread in [-1, 1).
            (bits >> 40) as f32 / 8_388_608.0 - 1.0
        })
        .collect();

    let norm = raw
        .iter()
        .map(|component| component * component)
        .sum::<f32>()
        .sqrt();
    if norm == 0.0 {
        raw
    } else {
        raw.iter().map(|component| component / norm).collect()
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn splitmix64(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The base64 of the vector's little-endian `f32` bytes, as the SDKs decode it.
fn encode(vector: &[f32]) -> String {
    let bytes: Vec<u8> = vector
        .iter()
        .flat_map(|component| component.to_le_bytes())
        .collect();
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_little_endian_f32() {
        assert_eq!(encode(&[0.1, 0.2]), "zczMPc3MTD4=");
    }

    #[test]
    fn vectors_are_deterministic_unit_vectors() {
        let vector = vector("hello", 8);
        let norm: f32 = vector
            .iter()
            .map(|component| component * component)
            .sum::<f32>()
            .sqrt();

        assert_eq!(vector.len(), 8);
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        assert_eq!(vector, super::vector("hello", 8));
        assert_ne!(vector, super::vector("hello!", 8));
    }
}
