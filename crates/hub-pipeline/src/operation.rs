//! The operations a pipeline serves, as requests and responses in Hub's types.

use std::sync::Arc;
use std::time::Duration;

use hub_core::chat::ChatCompletionRequest;
use hub_core::completion::CompletionRequest;
use hub_core::config::PipelineType;
use hub_core::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use hub_core::{ChatResponse, CompletionResponse};

use crate::snapshot::Route;

/// A decoded request on its way through a pipeline. Cloned for each further attempt.
#[derive(Debug, Clone)]
pub(crate) enum OperationRequest {
    Chat(ChatCompletionRequest),
    Completion(CompletionRequest),
    Embeddings(EmbeddingsRequest),
}

impl OperationRequest {
    /// The model the client asked for.
    pub(crate) fn model(&self) -> &str {
        match self {
            OperationRequest::Chat(request) => &request.model,
            OperationRequest::Completion(request) => &request.model,
            OperationRequest::Embeddings(request) => &request.model,
        }
    }

    /// Whether the client asked for a stream.
    pub(crate) fn is_stream(&self) -> bool {
        match self {
            OperationRequest::Chat(request) => request.is_stream(),
            OperationRequest::Completion(request) => request.is_stream(),
            OperationRequest::Embeddings(_) => false,
        }
    }

    /// Which operation this is.
    pub(crate) fn operation(&self) -> Operation {
        match self {
            OperationRequest::Chat(_) => Operation::Chat,
            OperationRequest::Completion(_) => Operation::Completion,
            OperationRequest::Embeddings(_) => Operation::Embeddings,
        }
    }
}

/// The answer to an [`OperationRequest`], and who served it.
#[derive(Debug)]
pub(crate) struct OperationResponse {
    pub(crate) output: Output,
    /// The model that served the call.
    pub(crate) route: Arc<Route>,
    /// How many attempts the call took, retries and fallbacks included.
    pub(crate) attempts: u32,
    /// The time spent waiting on upstreams, backoffs included: what is not the gateway's own.
    pub(crate) upstream: Duration,
}

/// What the provider answered, whole or streamed.
#[derive(Debug)]
pub(crate) enum Output {
    Chat(ChatResponse),
    Completion(CompletionResponse),
    Embeddings(EmbeddingsResponse),
}

/// The operations of the HTTP surface, each served by pipelines of one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Chat,
    Completion,
    Embeddings,
}

impl Operation {
    /// The pipeline type that serves this operation.
    pub(crate) fn pipeline_type(self) -> PipelineType {
        match self {
            Operation::Chat => PipelineType::Chat,
            Operation::Completion => PipelineType::Completion,
            Operation::Embeddings => PipelineType::Embeddings,
        }
    }

    /// The path clients call, for messages.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Operation::Chat => "/chat/completions",
            Operation::Completion => "/completions",
            Operation::Embeddings => "/embeddings",
        }
    }

    /// The name used in access records and, later, in span names.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Operation::Chat => "chat",
            Operation::Completion => "text_completion",
            Operation::Embeddings => "embeddings",
        }
    }
}
