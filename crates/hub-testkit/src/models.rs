//! The model catalogue: which ids exist, what each is for, and `GET /v1/models`.

use http::{Response, StatusCode};
use serde::Serialize;

use crate::body::{self, MockBody};
use crate::config::MockConfig;
use crate::error::ApiError;

/// When every model claims to have been created; fixed so responses are deterministic.
const CREATED: u64 = 1_715_367_049;

/// The snapshot date chat models answer with, as the real API names `gpt-4o-2024-08-06`.
const CHAT_SNAPSHOT: &str = "2024-08-06";

/// What a model can be used for, decided by its name like OpenAI's families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModelKind {
    Chat,
    Completion,
    Embedding,
}

impl ModelKind {
    pub(crate) fn of(model: &str) -> Self {
        if model.starts_with("text-embedding") {
            Self::Embedding
        } else if model.ends_with("-instruct") || matches!(model, "davinci-002" | "babbage-002") {
            Self::Completion
        } else {
            Self::Chat
        }
    }
}

/// The model name a response carries: chat models answer with a dated snapshot
/// (`gpt-4o` → `gpt-4o-2024-08-06`) unless already dated; other kinds keep the requested name.
pub(crate) fn snapshot(model: &str) -> String {
    if ModelKind::of(model) == ModelKind::Chat && !ends_with_date(model) {
        format!("{model}-{CHAT_SNAPSHOT}")
    } else {
        model.to_owned()
    }
}

/// Whether `model` ends in `-YYYY-MM-DD`.
fn ends_with_date(model: &str) -> bool {
    let Some(date) = model
        .len()
        .checked_sub(10)
        .and_then(|start| model.get(start..))
    else {
        return false;
    };
    let shape_matches = date.char_indices().all(|(index, ch)| match index {
        4 | 7 => ch == '-',
        _ => ch.is_ascii_digit(),
    });
    shape_matches && model[..model.len() - 10].ends_with('-')
}

/// Accepts `model` on an endpoint that serves `wanted` models.
pub(crate) fn check(config: &MockConfig, model: &str, wanted: ModelKind) -> Result<(), ApiError> {
    if !config.models.iter().any(|known| known == model) {
        return Err(ApiError::model_not_found(model));
    }

    let message = match (ModelKind::of(model), wanted) {
        (kind, wanted) if kind == wanted => return Ok(()),
        (ModelKind::Chat, ModelKind::Completion) => {
            "This is a chat model and not supported in the v1/completions endpoint. Did you \
             mean to use v1/chat/completions?"
        }
        (_, ModelKind::Chat) => {
            "This is not a chat model and thus not supported in the v1/chat/completions \
             endpoint. Did you mean to use v1/completions?"
        }
        (_, ModelKind::Completion) => "This model is not supported in the v1/completions endpoint.",
        (_, ModelKind::Embedding) => "This model does not support embeddings.",
    };
    Err(ApiError::invalid_request(message)
        .with_status(StatusCode::NOT_FOUND)
        .with_param("model")
        .with_code("model_not_found"))
}

#[derive(Serialize)]
struct Model<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    owned_by: &'static str,
}

#[derive(Serialize)]
struct ModelList<'a> {
    object: &'static str,
    data: Vec<Model<'a>>,
}

fn model(id: &str) -> Model<'_> {
    Model {
        id,
        object: "model",
        created: CREATED,
        owned_by: "system",
    }
}

/// `GET /v1/models`.
pub(crate) fn list(config: &MockConfig) -> Response<MockBody> {
    let data = config.models.iter().map(|id| model(id)).collect();
    body::json(
        StatusCode::OK,
        &ModelList {
            object: "list",
            data,
        },
    )
}

/// `GET /v1/models/{id}`.
pub(crate) fn retrieve(config: &MockConfig, id: &str) -> Result<Response<MockBody>, ApiError> {
    let known = config.models.iter().find(|known| *known == id);
    let known = known.ok_or_else(|| ApiError::model_not_found(id))?;
    Ok(body::json(StatusCode::OK, &model(known)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_name() {
        assert_eq!(ModelKind::of("gpt-4o"), ModelKind::Chat);
        assert_eq!(
            ModelKind::of("gpt-3.5-turbo-instruct"),
            ModelKind::Completion
        );
        assert_eq!(
            ModelKind::of("text-embedding-3-small"),
            ModelKind::Embedding
        );
    }

    #[test]
    fn chat_models_answer_with_a_dated_snapshot() {
        assert_eq!(snapshot("gpt-4o"), "gpt-4o-2024-08-06");
        assert_eq!(snapshot("gpt-4o-2024-05-13"), "gpt-4o-2024-05-13");
        assert_eq!(snapshot("gpt-3.5-turbo-instruct"), "gpt-3.5-turbo-instruct");
        assert_eq!(snapshot("text-embedding-3-small"), "text-embedding-3-small");
    }

    #[test]
    fn models_of_the_wrong_kind_are_refused() {
        let config = MockConfig::default();

        assert!(check(&config, "gpt-4o", ModelKind::Chat).is_ok());
        assert!(check(&config, "gpt-4o", ModelKind::Completion).is_err());
        assert!(check(&config, "text-embedding-3-small", ModelKind::Chat).is_err());
        assert_eq!(
            check(&config, "gpt-5", ModelKind::Chat),
            Err(ApiError::model_not_found("gpt-5"))
        );
    }
}
