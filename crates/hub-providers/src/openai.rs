//! The `openai` provider: OpenAI's API, or any server that speaks it.
//!
//! Requests already are in OpenAI's shape, so the adapter only swaps in the provider's
//! model id, authenticates, and reads the answer back into Hub's types. Fields Hub does
//! not model travel in the types' `extra` maps and reach the upstream unchanged.

use std::time::Duration;

use http::{HeaderMap, HeaderValue, Uri, header};
use hub_core::chat::{ChatCompletion, ChatCompletionChunk, ChatCompletionRequest};
use hub_core::completion::{Completion, CompletionRequest};
use hub_core::config::{ModelConfig, ProviderConfig, ProviderType};
use hub_core::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use hub_core::{BoxFuture, ChatResponse, CompletionResponse, Error, Provider};

use crate::openai_wire::{OpenAiWire, error_body, json_headers, secret_header};
use crate::redact::Redactor;
use crate::upstream::Upstream;
use crate::{BuildError, HttpClient};

const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// An OpenAI account, or an OpenAI-compatible server.
#[derive(Debug)]
pub struct OpenAiProvider {
    key: String,
    wire: OpenAiWire,
    chat_url: Uri,
    completions_url: Uri,
    embeddings_url: Uri,
}

impl OpenAiProvider {
    /// Builds the adapter from its configuration: `api_key` (optional, for servers without
    /// auth), `base_url`, `organization_id` and `project_id`.
    ///
    /// # Errors
    ///
    /// Fails when `base_url` is not a URL or a header value holds forbidden characters.
    pub fn new(config: &ProviderConfig, client: HttpClient) -> Result<Self, BuildError> {
        let base_url = config.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let base_url = base_url.trim_end_matches('/');
        let url = |path: &str| {
            format!("{base_url}{path}")
                .parse::<Uri>()
                .map_err(|error| BuildError::InvalidSetting {
                    field: "base_url",
                    message: error.to_string(),
                })
        };

        let upstream = Upstream {
            provider: config.key.clone(),
            client,
            timeout: Duration::from_millis(config.timeout_ms.unwrap_or(600_000)),
            redactor: Redactor::for_provider(config),
        };
        Ok(OpenAiProvider {
            key: config.key.clone(),
            wire: OpenAiWire::new(upstream, headers(config)?, error_body),
            chat_url: url("/chat/completions")?,
            completions_url: url("/completions")?,
            embeddings_url: url("/embeddings")?,
        })
    }
}

impl Provider for OpenAiProvider {
    fn key(&self) -> &str {
        &self.key
    }

    fn provider_type(&self) -> ProviderType {
        ProviderType::OpenAi
    }

    fn chat_completion<'a>(
        &'a self,
        model: &'a ModelConfig,
        mut request: ChatCompletionRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, Error>> {
        Box::pin(self.wire.upstream.redactor.guard(async move {
            request.model.clone_from(&model.model_type);
            if request.is_stream() {
                let stream = self
                    .wire
                    .call_stream::<ChatCompletionChunk>(&self.chat_url, &request);
                Ok(ChatResponse::Stream(stream.await?))
            } else {
                let completion = self.wire.call::<ChatCompletion>(&self.chat_url, &request);
                Ok(ChatResponse::Complete(Box::new(completion.await?)))
            }
        }))
    }

    fn completion<'a>(
        &'a self,
        model: &'a ModelConfig,
        mut request: CompletionRequest,
    ) -> BoxFuture<'a, Result<CompletionResponse, Error>> {
        Box::pin(self.wire.upstream.redactor.guard(async move {
            request.model.clone_from(&model.model_type);
            if request.is_stream() {
                let stream = self
                    .wire
                    .call_stream::<Completion>(&self.completions_url, &request);
                Ok(CompletionResponse::Stream(stream.await?))
            } else {
                let completion = self
                    .wire
                    .call::<Completion>(&self.completions_url, &request);
                Ok(CompletionResponse::Complete(Box::new(completion.await?)))
            }
        }))
    }

    fn embeddings<'a>(
        &'a self,
        model: &'a ModelConfig,
        mut request: EmbeddingsRequest,
    ) -> BoxFuture<'a, Result<EmbeddingsResponse, Error>> {
        Box::pin(self.wire.upstream.redactor.guard(async move {
            request.model.clone_from(&model.model_type);
            self.wire.call(&self.embeddings_url, &request).await
        }))
    }
}

/// The headers every call carries: the key as a bearer token, and OpenAI's account headers.
fn headers(config: &ProviderConfig) -> Result<HeaderMap, BuildError> {
    let mut headers = json_headers();
    if let Some(key) = &config.api_key {
        let value = secret_header(format!("Bearer {key}"), "api_key")?;
        headers.insert(header::AUTHORIZATION, value);
    }

    let invalid = |field| {
        move |_| BuildError::InvalidSetting {
            field,
            message: "contains characters not allowed in an HTTP header".to_owned(),
        }
    };
    let setting = |name| config.param_str(name).filter(|value| !value.is_empty());
    if let Some(organization) = setting("organization_id") {
        let value = HeaderValue::try_from(organization).map_err(invalid("organization_id"))?;
        headers.insert("openai-organization", value);
    }
    if let Some(project) = setting("project_id") {
        let value = HeaderValue::try_from(project).map_err(invalid("project_id"))?;
        headers.insert("openai-project", value);
    }
    Ok(headers)
}
