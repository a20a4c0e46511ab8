//! Hub's domain, shared by every other crate and by services that embed Hub.
//!
//! This crate holds the OpenAI-compatible wire types the gateway serves ([`chat`],
//! [`completion`], [`embeddings`], [`models`]), the error model ([`Error`], [`ErrorBody`]),
//! the [`Provider`] trait that each upstream adapter implements, and the configuration model
//! as plain data ([`config`]). With the `openapi` feature, the wire types derive
//! `utoipa::ToSchema`, and [`openapi`] holds what Hub's servers share to serve their specs.
//!
//! It must never do I/O: no runtime, no HTTP client, no database. Everything here compiles
//! for a service that only wants the types.
//!
//! Every request and response type keeps the fields it does not model in an `extra` map,
//! so a body decoded and encoded again loses nothing:
//!
//! ```
//! use hub_core::chat::ChatCompletionRequest;
//!
//! let body = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"store":true}"#;
//! let request: ChatCompletionRequest = serde_json::from_str(body).unwrap();
//! assert_eq!(request.extra["store"], true);
//! let again: serde_json::Value = serde_json::to_value(&request).unwrap();
//! assert_eq!(again["store"], true);
//! ```

pub mod chat;
pub mod completion;
pub mod config;
pub mod embeddings;
mod error;
pub mod models;
#[cfg(feature = "openapi")]
pub mod openapi;
mod provider;
mod usage;

pub use error::{Error, ErrorBody, ErrorDetail, Origin, WithoutContent};
pub use provider::{
    BoxFuture, BoxStream, ChatResponse, ChatStream, CompletionResponse, CompletionStream, Provider,
};
pub use usage::{CompletionTokensDetails, PromptTokensDetails, Usage};

/// Fields of a JSON object that Hub does not model, kept so they survive a round trip.
pub type Extra = serde_json::Map<String, serde_json::Value>;
