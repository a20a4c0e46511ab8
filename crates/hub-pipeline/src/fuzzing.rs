//! For fuzzing only, not a stable API: what the gateway does with a client's request body
//! before a pipeline sees it, reachable without a server. `crates/hub-fuzz` is the only user.

use hub_core::chat::ChatCompletionRequest;
use hub_core::completion::CompletionRequest;
use hub_core::config::GeneralConfig;
use hub_core::embeddings::EmbeddingsRequest;

use crate::GatewayError;
use crate::limits::RequestLimits;
use crate::operation::{Operation, OperationRequest};

/// The endpoints that take a JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/chat/completions`
    Chat,
    /// `POST /v1/completions`
    Completion,
    /// `POST /v1/embeddings`
    Embeddings,
}

/// A body as the gateway decoded and adjusted it.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Chat(ChatCompletionRequest),
    Completion(CompletionRequest),
    Embeddings(EmbeddingsRequest),
}

/// Decodes and checks `body` for `endpoint` as the gateway does under the default limits.
///
/// # Errors
///
/// The client error the gateway answers such a body with.
pub fn prepare(endpoint: Endpoint, body: &[u8]) -> Result<Request, GatewayError> {
    let operation = match endpoint {
        Endpoint::Chat => Operation::Chat,
        Endpoint::Completion => Operation::Completion,
        Endpoint::Embeddings => Operation::Embeddings,
    };
    let limits = RequestLimits::from(&GeneralConfig::default());
    let prepared = crate::request::prepare(operation, body, &limits)?;
    Ok(match prepared.request {
        OperationRequest::Chat(request) => Request::Chat(request),
        OperationRequest::Completion(request) => Request::Completion(request),
        OperationRequest::Embeddings(request) => Request::Embeddings(request),
    })
}
