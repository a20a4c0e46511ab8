//! `predict` on a text embedding model: one deterministic unit vector per instance.
//!
//! Vectors are the OpenAI emulator's (the same text always gives the same vector), 768
//! dimensions unless `outputDimensionality` says otherwise. An input longer than 2048 tokens
//! is cut when `autoTruncate` is on, Vertex's default, and refused when it is off.

use serde_json::{Map, Value, json};

use super::error::GoogleError;
use super::fields::{Fields, each};
use crate::embeddings::vector;
use crate::tokens;

const DEFAULT_DIMENSIONS: usize = 768;
const MAX_INSTANCES: usize = 250;
const MAX_INPUT_TOKENS: usize = 2048;

const TASK_TYPES: [&str; 8] = [
    "RETRIEVAL_QUERY",
    "RETRIEVAL_DOCUMENT",
    "SEMANTIC_SIMILARITY",
    "CLASSIFICATION",
    "CLUSTERING",
    "QUESTION_ANSWERING",
    "FACT_VERIFICATION",
    "CODE_RETRIEVAL_QUERY",
];

/// The `PredictResponse` for a valid request.
pub(super) fn respond(body: &Map<String, Value>) -> Result<Value, GoogleError> {
    let fields = Fields::root(body);
    fields.only(&["instances", "parameters"])?;
    let instances = fields.require_items("instances")?;
    if instances.len() > MAX_INSTANCES {
        return Err(GoogleError::invalid_argument(format!(
            "The request holds {} instances; at most {MAX_INSTANCES} are allowed.",
            instances.len()
        )));
    }
    let (truncate, dimensions) = parameters(&fields)?;

    let mut predictions = Vec::new();
    let mut characters = 0;
    for instance in each(instances, "instances")? {
        instance.only(&["content", "task_type", "title"])?;
        let content = instance.require_string("content")?;
        check_task_type(&instance)?;
        predictions.push(prediction(content, truncate, dimensions)?);
        characters += content.chars().count();
    }
    Ok(json!({"predictions": predictions,
              "metadata": {"billableCharacterCount": characters}}))
}

fn parameters(fields: &Fields<'_>) -> Result<(bool, usize), GoogleError> {
    let Some(parameters) = fields.object("parameters")? else {
        return Ok((true, DEFAULT_DIMENSIONS));
    };
    parameters.only(&["autoTruncate", "outputDimensionality"])?;
    let truncate = parameters.bool("autoTruncate")?.unwrap_or(true);
    let dimensions = parameters.integer("outputDimensionality", 1, 768)?;
    let dimensions = dimensions.and_then(|value| usize::try_from(value).ok());
    Ok((truncate, dimensions.unwrap_or(DEFAULT_DIMENSIONS)))
}

fn check_task_type(instance: &Fields<'_>) -> Result<(), GoogleError> {
    match instance.string("task_type")? {
        Some(task) if !TASK_TYPES.contains(&task) => Err(GoogleError::invalid_value(
            &instance.path("task_type"),
            &format!("unknown task type \"{task}\""),
        )),
        _ => Ok(()),
    }
}

fn prediction(content: &str, truncate: bool, dimensions: usize) -> Result<Value, GoogleError> {
    let count = tokens::count(content);
    let too_long = count > MAX_INPUT_TOKENS;
    if too_long && !truncate {
        return Err(GoogleError::invalid_argument(format!(
            "Input of {count} tokens exceeds the limit of {MAX_INPUT_TOKENS} tokens; enable \
             autoTruncate or shorten it."
        )));
    }

    let kept = match tokens::truncate(content, MAX_INPUT_TOKENS) {
        Some(cut) => cut,
        None => content.to_owned(),
    };
    Ok(json!({"embeddings": {
        "values": vector(&kept, dimensions),
        "statistics": {"truncated": too_long, "token_count": count.min(MAX_INPUT_TOKENS)},
    }}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn predict(body: Value) -> Result<Value, GoogleError> {
        respond(body.as_object().expect("test bodies are objects"))
    }

    #[test]
    fn each_instance_gets_a_vector_and_its_token_count() {
        let answer = predict(
            json!({"instances": [{"content": "a b c"}, {"content": "d"}],
                                    "parameters": {"outputDimensionality": 4}}),
        )
        .unwrap();

        let first = &answer["predictions"][0]["embeddings"];
        assert_eq!(first["values"].as_array().unwrap().len(), 4);
        assert_eq!(first["statistics"]["token_count"], 3);
        assert_eq!(answer["metadata"]["billableCharacterCount"], 6);
    }

    #[test]
    fn long_inputs_are_refused_without_truncation() {
        let long = "word ".repeat(MAX_INPUT_TOKENS + 1);
        let body = json!({"instances": [{"content": long}], "parameters": {"autoTruncate": false}});

        assert!(predict(body).is_err());
        assert!(predict(json!({"instances": [{"content": long}]})).is_ok());
    }

    #[test]
    fn unknown_fields_and_missing_content_are_refused() {
        assert!(predict(json!({"instances": [{"text": "a"}]})).is_err());
        assert!(predict(json!({"instances": [{"content": "a"}], "input": "a"})).is_err());
        assert!(predict(json!({"instances": []})).is_err());
    }
}
