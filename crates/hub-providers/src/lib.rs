//! Hub's provider adapters: everything that knows a vendor's wire format or auth scheme.
//!
//! [`HttpClient`] is the pooled HTTP/1.1 and HTTP/2 client over rustls that every adapter
//! sends through; [`sse`] decodes and encodes server-sent events; each vendor has one module
//! that implements [`hub_core::Provider`]. [`build`] turns a provider's configuration into
//! a ready adapter.
//!
//! Nothing outside this crate speaks a vendor's format, and nothing here knows about
//! pipelines, routing or where the configuration came from.

mod anthropic;
mod azure;
mod bedrock;
mod client;
#[doc(hidden)]
pub mod fuzzing;
mod openai;
mod openai_wire;
mod redact;
pub mod sse;
mod upstream;
mod vertex;

use std::sync::Arc;
use std::time::Duration;

use hub_core::Provider;
use hub_core::config::{ProviderConfig, ProviderType};

pub use anthropic::AnthropicProvider;
pub use azure::AzureProvider;
pub use bedrock::BedrockProvider;
pub use client::{ClientSettings, HttpClient, UpstreamLimits};
pub use openai::OpenAiProvider;
pub use vertex::VertexProvider;

/// Why a provider could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A setting is present but unusable.
    #[error("{field}: {message}")]
    InvalidSetting {
        field: &'static str,
        message: String,
    },
    /// The TLS stack could not be set up.
    #[error("TLS setup failed: {0}")]
    Tls(#[from] rustls::Error),
}

/// Builds the adapter for one configured provider, with its own connection pool, reading
/// answers within `limits`.
///
/// # Errors
///
/// Fails when the type has no adapter yet, or a setting cannot be used.
pub fn build(
    config: &ProviderConfig,
    limits: UpstreamLimits,
) -> Result<Arc<dyn Provider>, BuildError> {
    let settings = ClientSettings {
        connect_timeout: Duration::from_millis(config.connect_timeout_ms.unwrap_or(10_000)),
        limits,
    };
    let client = HttpClient::new(&settings)?;

    match config.provider_type {
        ProviderType::OpenAi => Ok(Arc::new(OpenAiProvider::new(config, client)?)),
        ProviderType::Anthropic => Ok(Arc::new(AnthropicProvider::new(config, client)?)),
        ProviderType::Bedrock => Ok(Arc::new(BedrockProvider::new(config, client)?)),
        ProviderType::Azure => Ok(Arc::new(AzureProvider::new(config, client)?)),
        ProviderType::VertexAi => Ok(Arc::new(VertexProvider::new(config, client)?)),
    }
}
