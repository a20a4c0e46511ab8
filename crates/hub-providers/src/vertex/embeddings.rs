//! OpenAI's embeddings request as a text-embedding model's `:predict` call, and its answer.
//!
//! Each input is one instance. `dimensions` becomes `outputDimensionality`. Vertex cuts an
//! input that is too long unless told not to; OpenAI refuses it instead, so Hub sends
//! `autoTruncate: false` and the client gets Vertex's refusal rather than a vector of part of
//! its text.

use hub_core::Error;
use hub_core::Extra;
use hub_core::completion::Prompt;
use hub_core::embeddings::{
    Embedding, EmbeddingUsage, EmbeddingVector, EmbeddingsRequest, EmbeddingsResponse,
};

use super::wire::{EmbeddingInstance, EmbeddingParameters, PredictRequest, PredictResponse};
use super::{refuse, unsupported};

/// The `:predict` body for `request`.
pub(crate) fn predict_request(request: &EmbeddingsRequest) -> Result<PredictRequest, Error> {
    if let Some(field) = request.extra.keys().next() {
        return Err(unsupported(field));
    }

    let texts = match &request.input {
        Prompt::Text(text) => vec![text.clone()],
        Prompt::Texts(texts) => texts.clone(),
        Prompt::Tokens(_) | Prompt::TokenLists(_) => {
            return Err(refuse("input", "Vertex AI embeds text, not token ids"));
        }
    };
    if texts.is_empty() || texts.iter().any(String::is_empty) {
        return Err(refuse("input", "every input must be a non-empty string"));
    }

    Ok(PredictRequest {
        instances: texts
            .into_iter()
            .map(|content| EmbeddingInstance { content })
            .collect(),
        parameters: EmbeddingParameters {
            auto_truncate: false,
            output_dimensionality: request.dimensions,
        },
    })
}

/// OpenAI's answer for Vertex's predictions, one vector per input in order.
pub(super) fn embeddings_response(response: PredictResponse, model: &str) -> EmbeddingsResponse {
    let tokens: f64 = response
        .predictions
        .iter()
        .filter_map(|prediction| prediction.embeddings.statistics)
        .map(|statistics| statistics.token_count)
        .sum();
    // Token counts are whole numbers written as JSON numbers; the sum is rounded back.
    let tokens = tokens.round().max(0.0) as u64;

    let data = response
        .predictions
        .into_iter()
        .zip(0..)
        .map(|(prediction, index)| Embedding {
            object: "embedding".to_owned(),
            index,
            embedding: EmbeddingVector::Float(prediction.embeddings.values),
            extra: Extra::new(),
        })
        .collect();
    EmbeddingsResponse {
        object: "list".to_owned(),
        data,
        model: model.to_owned(),
        usage: EmbeddingUsage {
            prompt_tokens: tokens,
            total_tokens: tokens,
        },
        extra: Extra::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(body: serde_json::Value) -> EmbeddingsRequest {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn each_input_is_an_instance_and_dimensions_are_passed() {
        let openai = request(json!({"model": "embed", "input": ["hello", "world"],
                                    "dimensions": 256, "encoding_format": "base64"}));

        let vertex = serde_json::to_value(predict_request(&openai).unwrap()).unwrap();

        assert_eq!(
            vertex,
            json!({"instances": [{"content": "hello"}, {"content": "world"}],
                   "parameters": {"autoTruncate": false, "outputDimensionality": 256}})
        );
    }

    #[test]
    fn token_ids_empty_inputs_and_unknown_fields_are_refused() {
        for body in [
            json!({"model": "m", "input": [1, 2]}),
            json!({"model": "m", "input": ["a", ""]}),
            json!({"model": "m", "input": "a", "input_type": "query"}),
        ] {
            assert!(predict_request(&request(body.clone())).is_err(), "{body}");
        }
    }

    #[test]
    fn predictions_become_vectors_and_token_counts_usage() {
        let vertex: PredictResponse = serde_json::from_value(json!({"predictions": [
            {"embeddings": {"values": [0.5, -0.25],
                            "statistics": {"truncated": false, "token_count": 9}}},
            {"embeddings": {"values": [0.125, 1.0],
                            "statistics": {"truncated": false, "token_count": 3.0}}}],
            "metadata": {"billableCharacterCount": 37}}))
        .unwrap();

        let openai = serde_json::to_value(embeddings_response(vertex, "text-embedding-005"));

        assert_eq!(
            openai.unwrap(),
            json!({"object": "list", "model": "text-embedding-005",
                   "data": [{"object": "embedding", "index": 0, "embedding": [0.5, -0.25]},
                            {"object": "embedding", "index": 1, "embedding": [0.125, 1.0]}],
                   "usage": {"prompt_tokens": 12, "total_tokens": 12}})
        );
    }
}
