//! The `Provider` trait: what every upstream adapter offers the pipeline.
//!
//! The trait is object safe and runtime agnostic: futures and streams are boxed, and
//! nothing here assumes tokio.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use futures_core::Stream;

use crate::Error;
use crate::chat::{ChatCompletion, ChatCompletionChunk, ChatCompletionRequest};
use crate::completion::{Completion, CompletionRequest};
use crate::config::{ModelConfig, ProviderType};
use crate::embeddings::{EmbeddingsRequest, EmbeddingsResponse};

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A boxed, sendable stream.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = T> + Send + 'static>>;

/// The chunks of a streamed chat completion, translated to OpenAI's shape.
pub type ChatStream = BoxStream<Result<ChatCompletionChunk, Error>>;

/// The chunks of a streamed legacy completion.
pub type CompletionStream = BoxStream<Result<Completion, Error>>;

/// A chat answer: whole, or as a stream when the request asked for one.
pub enum ChatResponse {
    Complete(Box<ChatCompletion>),
    Stream(ChatStream),
}

impl fmt::Debug for ChatResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChatResponse::Complete(completion) => {
                f.debug_tuple("Complete").field(completion).finish()
            }
            ChatResponse::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

/// A legacy completion: whole, or as a stream when the request asked for one.
pub enum CompletionResponse {
    Complete(Box<Completion>),
    Stream(CompletionStream),
}

impl fmt::Debug for CompletionResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompletionResponse::Complete(completion) => {
                f.debug_tuple("Complete").field(completion).finish()
            }
            CompletionResponse::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

/// An upstream LLM provider, reached through one configured account.
///
/// Each method takes the model definition the router chose (so the adapter sees the
/// provider's own model id and any per-model settings) and the client's request in
/// OpenAI's shape, and answers in OpenAI's shape. An operation the provider's API does not
/// offer answers [`Error::InvalidRequest`], which is what the default methods do.
pub trait Provider: Send + Sync + fmt::Debug {
    /// The provider's unique key in the configuration.
    fn key(&self) -> &str;

    /// Which vendor API this provider speaks.
    fn provider_type(&self) -> ProviderType;

    /// `POST /chat/completions`.
    fn chat_completion<'a>(
        &'a self,
        model: &'a ModelConfig,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, Error>>;

    /// `POST /completions`.
    fn completion<'a>(
        &'a self,
        model: &'a ModelConfig,
        request: CompletionRequest,
    ) -> BoxFuture<'a, Result<CompletionResponse, Error>> {
        let _ = (model, request);
        Box::pin(async move { Err(self.unsupported("legacy completions")) })
    }

    /// `POST /embeddings`.
    fn embeddings<'a>(
        &'a self,
        model: &'a ModelConfig,
        request: EmbeddingsRequest,
    ) -> BoxFuture<'a, Result<EmbeddingsResponse, Error>> {
        let _ = (model, request);
        Box::pin(async move { Err(self.unsupported("embeddings")) })
    }

    /// The error for an operation this provider's API does not offer.
    fn unsupported(&self, operation: &str) -> Error {
        Error::invalid_request(format!(
            "provider `{}` ({}) does not serve {operation}",
            self.key(),
            self.provider_type()
        ))
    }
}
