//! For fuzzing only, not a stable API: how the management API reads a request's body and
//! query before any database work, reachable without a server. `crates/hub-fuzz` is the only
//! user.

use bytes::Bytes;
use futures_util::FutureExt;
use http::StatusCode;
use http_body_util::{BodyExt, Collected};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::input::{decode, page_request};
use crate::service::{
    ApiKeyChanges, ModelChanges, NewApiKey, NewModel, NewPipeline, NewProvider, NewSecret,
    PipelineChanges, ProviderChanges, SecretChanges,
};

/// The bodies the API decodes: each resource's creation and its change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    NewProvider,
    ProviderChanges,
    NewModel,
    ModelChanges,
    NewPipeline,
    PipelineChanges,
    NewSecret,
    SecretChanges,
    NewApiKey,
    ApiKeyChanges,
}

/// Every body, in a fixed order.
pub const BODIES: [Body; 10] = [
    Body::NewProvider,
    Body::ProviderChanges,
    Body::NewModel,
    Body::ModelChanges,
    Body::NewPipeline,
    Body::PipelineChanges,
    Body::NewSecret,
    Body::SecretChanges,
    Body::NewApiKey,
    Body::ApiKeyChanges,
];

/// A refusal as the client would receive it.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub body: Bytes,
}

/// Decodes `body` as the API decodes a `kind` body.
///
/// # Errors
///
/// The answer the API would refuse the body with.
pub fn decode_body(kind: Body, body: &[u8]) -> Result<(), Refusal> {
    match kind {
        Body::NewProvider => decoded::<NewProvider>(body),
        Body::ProviderChanges => decoded::<ProviderChanges>(body),
        Body::NewModel => decoded::<NewModel>(body),
        Body::ModelChanges => decoded::<ModelChanges>(body),
        Body::NewPipeline => decoded::<NewPipeline>(body),
        Body::PipelineChanges => decoded::<PipelineChanges>(body),
        Body::NewSecret => decoded::<NewSecret>(body),
        Body::SecretChanges => decoded::<SecretChanges>(body),
        Body::NewApiKey => decoded::<NewApiKey>(body),
        Body::ApiKeyChanges => decoded::<ApiKeyChanges>(body),
    }
}

/// Reads `query` as the list routes read `?limit=N&after=NAME`.
///
/// # Errors
///
/// The answer the API would refuse the query with.
pub fn read_page_query(query: &str) -> Result<(), Refusal> {
    page_request(Some(query)).map(drop).map_err(refusal)
}

fn decoded<T: DeserializeOwned>(body: &[u8]) -> Result<(), Refusal> {
    decode::<T>(body).map(drop).map_err(refusal)
}

fn refusal(error: ApiError) -> Refusal {
    let response = error.into_response();
    let status = response.status();
    // A `Full` body is whole already: collecting it completes at once.
    let body = response
        .into_body()
        .collect()
        .now_or_never()
        .and_then(Result::ok)
        .map(Collected::to_bytes)
        .unwrap_or_default();
    Refusal { status, body }
}
