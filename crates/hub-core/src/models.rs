//! The models list: `GET /v1/models` and `GET /v1/models/{model}`.

use serde::{Deserialize, Serialize};

/// `{"object": "list", "data": [...]}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelList {
    pub object: String,
    pub data: Vec<Model>,
}

impl ModelList {
    /// A list of the given models.
    pub fn new(data: Vec<Model>) -> Self {
        ModelList {
            object: "list".to_owned(),
            data,
        }
    }
}

/// One model a client may name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Model {
    pub id: String,
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    pub owned_by: String,
}

impl Model {
    /// A model entry with `object: "model"`.
    pub fn new(id: impl Into<String>, created: u64, owned_by: impl Into<String>) -> Self {
        Model {
            id: id.into(),
            object: "model".to_owned(),
            created,
            owned_by: owned_by.into(),
        }
    }
}
