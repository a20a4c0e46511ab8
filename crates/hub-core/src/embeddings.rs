//! Embeddings: `POST /v1/embeddings`, with float and base64 encodings.
//!
//! The official SDKs ask for `encoding_format: "base64"` unless told otherwise, and the
//! Node SDK turns a float array it did not expect into an empty vector, so Hub always
//! answers in the encoding the client asked for, whatever the upstream sent.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::Extra;
use crate::completion::Prompt;

/// `CreateEmbeddingRequest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbeddingsRequest {
    pub input: Prompt,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_format: Option<EncodingFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

/// How vectors are written in the response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum EncodingFormat {
    /// A JSON array of numbers, the API's default.
    #[default]
    Float,
    /// Base64 of the little-endian IEEE-754 float32 bytes.
    Base64,
}

/// `CreateEmbeddingResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbeddingsResponse {
    #[serde(default = "list_object")]
    pub object: String,
    pub data: Vec<Embedding>,
    pub model: String,
    pub usage: EmbeddingUsage,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

impl EmbeddingsResponse {
    /// Rewrites every vector in `format`.
    ///
    /// # Errors
    ///
    /// Fails when a base64 vector is not valid base64 of whole float32 values.
    pub fn encode_as(&mut self, format: EncodingFormat) -> Result<(), InvalidEmbedding> {
        for item in &mut self.data {
            item.embedding = item.embedding.encode_as(format)?;
        }
        Ok(())
    }
}

fn list_object() -> String {
    "list".to_owned()
}

/// One input's vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Embedding {
    #[serde(default = "embedding_object")]
    pub object: String,
    pub index: u32,
    pub embedding: EmbeddingVector,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = serde_json::Map<String, serde_json::Value>)
    )]
    #[serde(flatten)]
    pub extra: Extra,
}

fn embedding_object() -> String {
    "embedding".to_owned()
}

/// Token counts of an embeddings call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbeddingUsage {
    pub prompt_tokens: u64,
    pub total_tokens: u64,
}

/// A vector as numbers or as base64 of little-endian float32 bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum EmbeddingVector {
    Float(Vec<f32>),
    Base64(String),
}

/// A base64 vector that does not decode to whole float32 values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("embedding is not base64 of little-endian float32 values")]
pub struct InvalidEmbedding;

impl EmbeddingVector {
    /// The vector's values, decoding base64 if needed.
    ///
    /// # Errors
    ///
    /// Fails when a base64 vector is malformed or its length is not a multiple of four.
    pub fn to_floats(&self) -> Result<Vec<f32>, InvalidEmbedding> {
        match self {
            EmbeddingVector::Float(values) => Ok(values.clone()),
            EmbeddingVector::Base64(text) => {
                let bytes = STANDARD.decode(text).map_err(|_| InvalidEmbedding)?;
                if bytes.len() % 4 != 0 {
                    return Err(InvalidEmbedding);
                }
                Ok(bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect())
            }
        }
    }

    /// The vector in `format`, converting only when it is in the other one.
    ///
    /// # Errors
    ///
    /// Fails when a base64 vector must be decoded and is malformed.
    pub fn encode_as(&self, format: EncodingFormat) -> Result<EmbeddingVector, InvalidEmbedding> {
        match (self, format) {
            (EmbeddingVector::Float(values), EncodingFormat::Base64) => {
                let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                Ok(EmbeddingVector::Base64(STANDARD.encode(bytes)))
            }
            (EmbeddingVector::Base64(_), EncodingFormat::Float) => {
                Ok(EmbeddingVector::Float(self.to_floats()?))
            }
            _ => Ok(self.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_little_endian_float32() {
        let vector = EmbeddingVector::Float(vec![0.1, 0.2]);
        let encoded = vector.encode_as(EncodingFormat::Base64).unwrap();
        assert_eq!(encoded, EmbeddingVector::Base64("zczMPc3MTD4=".to_owned()));
        assert_eq!(encoded.to_floats().unwrap(), vec![0.1, 0.2]);
    }

    #[test]
    fn truncated_base64_is_refused() {
        let vector = EmbeddingVector::Base64("zczMPc3M".to_owned());
        assert_eq!(vector.to_floats(), Err(InvalidEmbedding));
    }

    #[test]
    fn float_and_base64_vectors_both_decode() {
        let body = r#"{"object":"list","model":"m","usage":{"prompt_tokens":1,"total_tokens":1},
            "data":[{"object":"embedding","index":0,"embedding":[0.5]},
                    {"object":"embedding","index":1,"embedding":"AAAAPw=="}]}"#;
        let mut response: EmbeddingsResponse = serde_json::from_str(body).unwrap();
        response.encode_as(EncodingFormat::Float).unwrap();
        assert_eq!(response.data[0].embedding, response.data[1].embedding);
    }
}
