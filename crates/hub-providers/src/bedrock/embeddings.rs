//! Embeddings through InvokeModel, for Amazon Titan Text Embeddings and Cohere Embed.
//!
//! - Titan (`amazon.titan-embed-text-v2:0`, and `-v1`) takes one text per call, so an
//!   array is sent as one call per input, a few at a time. `dimensions` goes to v2 as is.
//! - Cohere (`cohere.embed-english-v3`, `cohere.embed-multilingual-v3`, `cohere.embed-v4:0`)
//!   takes up to 96 texts per call. Its `input_type` (default `search_document`) and
//!   `truncate` may be given as extra request fields; `dimensions` goes to v4 as
//!   `output_dimension`.
//!
//! Vectors come back as floats; the gateway encodes them as base64 when the client asked.
//! Token-id inputs cannot be translated and are refused.

use futures_util::{StreamExt, TryStreamExt};
use hub_core::completion::Prompt;
use hub_core::config::ModelConfig;
use hub_core::embeddings::{
    Embedding, EmbeddingUsage, EmbeddingVector, EmbeddingsRequest, EmbeddingsResponse,
};
use hub_core::{Error, Extra};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

use super::{BedrockProvider, Operation, encode, request_error as invalid};
use crate::upstream::Upstream;

/// Cohere Embed's limit of texts per call.
const COHERE_BATCH: usize = 96;

/// How many Titan calls of one request are in flight at once.
const TITAN_CONCURRENCY: usize = 4;

/// InvokeModel reports the prompt's tokens here for models whose body does not.
const INPUT_TOKENS_HEADER: &str = "x-amzn-bedrock-input-token-count";

/// Which embedding API a model id speaks. Inference-profile ids (`us.cohere.embed-v4:0`) and
/// ARNs that name the model are recognised too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Titan { v2: bool },
    Cohere { v4: bool },
}

impl Family {
    fn of(model_id: &str) -> Result<Family, Error> {
        if model_id.contains("amazon.titan-embed-text") {
            return Ok(Family::Titan {
                v2: !model_id.contains("amazon.titan-embed-text-v1"),
            });
        }
        if model_id.contains("cohere.embed") {
            return Ok(Family::Cohere {
                v4: model_id.contains("cohere.embed-v4"),
            });
        }
        Err(invalid(
            "model",
            format!(
                "`{model_id}` is not a Titan Text Embeddings or Cohere Embed model, the \
                 embedding models Hub can call on Bedrock."
            ),
        ))
    }
}

/// `amazon.titan-embed-text-*` InvokeModel body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct TitanRequest {
    input_text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TitanResponse {
    embedding: Vec<f32>,
    input_text_token_count: u64,
}

/// `cohere.embed-*` InvokeModel body.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct CohereRequest {
    texts: Vec<String>,
    input_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncate: Option<String>,
    embedding_types: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    output_dimension: Option<u32>,
}

/// Cohere answers `embeddings` as a list of vectors, or by type when `embedding_types` was
/// sent; both are read.
#[derive(Debug, Clone, Deserialize)]
struct CohereResponse {
    embeddings: CohereEmbeddings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum CohereEmbeddings {
    ByType { float: Vec<Vec<f32>> },
    Floats(Vec<Vec<f32>>),
}

/// One InvokeModel call's body, as the family wants it.
#[derive(Debug, Clone, PartialEq)]
enum Call {
    Titan(TitanRequest),
    Cohere(CohereRequest),
}

/// The calls that embed every input of `request`, in input order.
fn calls(family: Family, request: &EmbeddingsRequest) -> Result<Vec<Call>, Error> {
    let texts = texts(&request.input)?;
    match family {
        Family::Titan { v2 } => titan_calls(v2, texts, request),
        Family::Cohere { v4 } => cohere_calls(v4, texts, request),
    }
}

fn texts(input: &Prompt) -> Result<Vec<String>, Error> {
    let texts = match input {
        Prompt::Text(text) => vec![text.clone()],
        Prompt::Texts(texts) => texts.clone(),
        Prompt::Tokens(_) | Prompt::TokenLists(_) => {
            return Err(invalid(
                "input",
                "Bedrock embedding models take text, not token ids.",
            ));
        }
    };
    if texts.is_empty() || texts.iter().any(String::is_empty) {
        return Err(invalid("input", "Each input must be a non-empty string."));
    }
    Ok(texts)
}

fn titan_calls(
    v2: bool,
    texts: Vec<String>,
    request: &EmbeddingsRequest,
) -> Result<Vec<Call>, Error> {
    refuse_extra(request, &[])?;
    if request.dimensions.is_some() && !v2 {
        return Err(invalid(
            "dimensions",
            "Titan Text Embeddings v1 has a fixed size.",
        ));
    }
    Ok(texts
        .into_iter()
        .map(|input_text| {
            Call::Titan(TitanRequest {
                input_text,
                dimensions: request.dimensions,
            })
        })
        .collect())
}

fn cohere_calls(
    v4: bool,
    texts: Vec<String>,
    request: &EmbeddingsRequest,
) -> Result<Vec<Call>, Error> {
    refuse_extra(request, &["input_type", "truncate"])?;
    if request.dimensions.is_some() && !v4 {
        return Err(invalid("dimensions", "Cohere Embed v3 has a fixed size."));
    }
    let input_type = extra_str(request, "input_type")?.unwrap_or("search_document");
    let truncate = extra_str(request, "truncate")?;

    Ok(texts
        .chunks(COHERE_BATCH)
        .map(|batch| {
            Call::Cohere(CohereRequest {
                texts: batch.to_vec(),
                input_type: input_type.to_owned(),
                truncate: truncate.map(str::to_owned),
                embedding_types: ["float"],
                output_dimension: request.dimensions,
            })
        })
        .collect())
}

/// Fields outside OpenAI's request are refused, except those the family takes.
fn refuse_extra(request: &EmbeddingsRequest, allowed: &[&str]) -> Result<(), Error> {
    match request
        .extra
        .keys()
        .find(|name| !allowed.contains(&name.as_str()))
    {
        Some(name) => Err(invalid(
            name.as_str(),
            format!("`{name}` cannot be translated for this Bedrock model."),
        )),
        None => Ok(()),
    }
}

fn extra_str<'r>(request: &'r EmbeddingsRequest, name: &str) -> Result<Option<&'r str>, Error> {
    match request.extra.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(invalid(name, format!("`{name}` must be a string."))),
    }
}

/// The vectors and prompt tokens one call answered. Cohere's body holds no token count; it
/// comes from the `X-Amzn-Bedrock-Input-Token-Count` header, given here as `header_tokens`.
fn read_answer(
    call: &Call,
    body: &[u8],
    header_tokens: Option<u64>,
) -> Result<(Vec<Vec<f32>>, u64), String> {
    let (vectors, tokens, expected) = match call {
        Call::Titan(_) => {
            let answer: TitanResponse = serde_json::from_slice(body).map_err(|e| e.to_string())?;
            (vec![answer.embedding], answer.input_text_token_count, 1)
        }
        Call::Cohere(request) => {
            let answer: CohereResponse = serde_json::from_slice(body).map_err(|e| e.to_string())?;
            let vectors = match answer.embeddings {
                CohereEmbeddings::ByType { float } | CohereEmbeddings::Floats(float) => float,
            };
            (vectors, header_tokens.unwrap_or(0), request.texts.len())
        }
    };

    if vectors.len() != expected {
        return Err(format!("{} vectors for {expected} inputs", vectors.len()));
    }
    Ok((vectors, tokens))
}

impl Call {
    fn encode(&self) -> Result<Vec<u8>, Error> {
        match self {
            Call::Titan(body) => encode(body),
            Call::Cohere(body) => encode(body),
        }
    }
}

/// The bodies of the InvokeModel calls an embeddings `request` to `model_id` makes.
pub(crate) fn call_bodies(
    model_id: &str,
    request: &EmbeddingsRequest,
) -> Result<Vec<Vec<u8>>, Error> {
    let calls = calls(Family::of(model_id)?, request)?;
    calls.iter().map(Call::encode).collect()
}

/// OpenAI's answer from every call's answer, in order.
fn response(answers: Vec<(Vec<Vec<f32>>, u64)>, model_id: &str) -> EmbeddingsResponse {
    let (data, usage) = collect(answers);
    EmbeddingsResponse {
        object: "list".to_owned(),
        data,
        model: model_id.to_owned(),
        usage,
        extra: Extra::new(),
    }
}

/// OpenAI's answer to a request of one text to `model_id`, from the `body` its one call was
/// answered with and the token count header, if any.
pub(crate) fn one_text_answer(
    upstream: &Upstream,
    model_id: &str,
    body: &[u8],
    header_tokens: Option<u64>,
) -> Result<EmbeddingsResponse, Error> {
    let request = EmbeddingsRequest {
        input: Prompt::Text("text".to_owned()),
        model: model_id.to_owned(),
        encoding_format: None,
        dimensions: None,
        user: None,
        extra: Extra::new(),
    };
    let calls = calls(Family::of(model_id)?, &request)?;
    let answers = calls
        .iter()
        .map(|call| read_answer(call, body, header_tokens))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| upstream.protocol(format!("unexpected InvokeModel response: {error}")))?;
    Ok(response(answers, model_id))
}

/// OpenAI's `data` and `usage` from every call's answer, in order.
fn collect(answers: Vec<(Vec<Vec<f32>>, u64)>) -> (Vec<Embedding>, EmbeddingUsage) {
    // Saturating: the counts are the upstream's word, and no count may panic the gateway.
    let tokens = answers
        .iter()
        .fold(0u64, |sum, (_, tokens)| sum.saturating_add(*tokens));
    let data = answers
        .into_iter()
        .flat_map(|(vectors, _)| vectors)
        .enumerate()
        .map(|(index, vector)| Embedding {
            object: "embedding".to_owned(),
            index: u32::try_from(index).unwrap_or(u32::MAX),
            embedding: EmbeddingVector::Float(vector),
            extra: Extra::new(),
        })
        .collect();
    let usage = EmbeddingUsage {
        prompt_tokens: tokens,
        total_tokens: tokens,
    };
    (data, usage)
}

impl BedrockProvider {
    /// `POST /embeddings`: every call the request needs, a few at a time, in input order.
    pub(super) async fn embed(
        &self,
        model: &ModelConfig,
        request: EmbeddingsRequest,
    ) -> Result<EmbeddingsResponse, Error> {
        let calls = calls(Family::of(&model.model_type)?, &request)?;
        let deadline = self.upstream.deadline();

        let pending: Vec<_> = calls
            .iter()
            .map(|call| self.invoke(&model.model_type, call, deadline))
            .collect();
        let answers: Vec<_> = futures_util::stream::iter(pending)
            .buffered(TITAN_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(response(answers, &model.model_type))
    }

    /// One InvokeModel call of an embeddings request.
    async fn invoke(
        &self,
        model_id: &str,
        call: &Call,
        deadline: Instant,
    ) -> Result<(Vec<Vec<f32>>, u64), Error> {
        let body = call.encode()?;
        let response = self
            .send(model_id, Operation::InvokeModel, body, deadline)
            .await?;
        let tokens = response
            .headers()
            .get(INPUT_TOKENS_HEADER)
            .and_then(|value| value.to_str().ok()?.parse().ok());

        let body = self
            .upstream
            .read_response(response.into_body(), deadline)
            .await?;
        read_answer(call, &body, tokens).map_err(|error| {
            self.upstream
                .protocol(format!("unexpected InvokeModel response: {error}"))
        })
    }
}

#[cfg(test)]
mod tests;
