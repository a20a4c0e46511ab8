//! The `azure` provider: Azure OpenAI, which speaks OpenAI's format at its own URLs.
//!
//! Each model names a deployment, and every call goes to
//! `{endpoint}/openai/deployments/{deployment}/{operation}?api-version={api_version}` with the
//! key in an `api-key` header, or an Entra ID token as a bearer. Bodies are OpenAI's, so the
//! adapter shares [`OpenAiWire`] with the `openai` provider and only smooths what Azure does
//! differently: the `developer` role that older API versions refuse, stream chunks that carry
//! content-filter annotations and nothing a client can use, and its error bodies.

mod error;
mod stream;

#[cfg(test)]
mod tests;

use std::time::Duration;

use futures_util::StreamExt;
use http::{HeaderMap, Uri};
use hub_core::chat::{ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatMessage};
use hub_core::completion::{Completion, CompletionRequest};
use hub_core::config::{ModelConfig, ProviderConfig, ProviderType};
use hub_core::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use hub_core::{
    BoxFuture, BoxStream, ChatResponse, ChatStream, CompletionResponse, CompletionStream, Error,
    Provider,
};

use crate::openai_wire::{OpenAiWire, json_headers, secret_header};
use crate::redact::Redactor;
use crate::upstream::{ErrorParser, Upstream};
use crate::{BuildError, HttpClient};

/// An Azure OpenAI resource.
#[derive(Debug)]
pub struct AzureProvider {
    key: String,
    wire: OpenAiWire,
    /// `https://{resource}.openai.azure.com`, without a trailing slash.
    endpoint: String,
    api_version: String,
}

impl AzureProvider {
    /// Builds the adapter from its configuration: `resource_name` or `base_url`,
    /// `api_version`, and `api_key` or `azure_ad_token`.
    ///
    /// # Errors
    ///
    /// Fails when a setting is missing, does not make a URL, or holds characters not allowed
    /// in a header.
    pub fn new(config: &ProviderConfig, client: HttpClient) -> Result<Self, BuildError> {
        let endpoint = endpoint(config)?;
        let api_version = api_version(config)?;
        let upstream = Upstream {
            provider: config.key.clone(),
            client,
            timeout: Duration::from_millis(config.timeout_ms.unwrap_or(600_000)),
            redactor: Redactor::for_provider(config),
        };

        let provider = AzureProvider {
            key: config.key.clone(),
            wire: OpenAiWire::new(upstream, headers(config)?, ERROR_PARSER),
            endpoint,
            api_version,
        };
        // An endpoint that does not make a URL is a configuration fault: reported now, not on
        // the first call.
        provider.operation_url("deployment", "chat/completions")?;
        Ok(provider)
    }

    /// The URL of `operation` on the model's deployment.
    fn url(&self, model: &ModelConfig, operation: &str) -> Result<Uri, Error> {
        let deployment = model
            .params
            .get("deployment")
            .and_then(serde_json::Value::as_str)
            .filter(|name| is_path_segment(name))
            .ok_or_else(|| {
                Error::Internal(format!(
                    "model `{}` of azure provider `{}` has no usable `deployment`",
                    model.key, self.key
                ))
            })?;
        self.operation_url(deployment, operation)
            .map_err(|error| Error::Internal(error.to_string()))
    }

    fn operation_url(&self, deployment: &str, operation: &str) -> Result<Uri, BuildError> {
        let url = format!(
            "{}/openai/deployments/{deployment}/{operation}?api-version={}",
            self.endpoint, self.api_version
        );
        url.parse().map_err(|error| BuildError::InvalidSetting {
            field: "base_url",
            message: format!("does not make a URL: {error}"),
        })
    }
}

impl Provider for AzureProvider {
    fn key(&self) -> &str {
        &self.key
    }

    fn provider_type(&self) -> ProviderType {
        ProviderType::Azure
    }

    fn chat_completion<'a>(
        &'a self,
        model: &'a ModelConfig,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, Error>> {
        Box::pin(self.wire.upstream.redactor.guard(async move {
            let url = self.url(model, "chat/completions")?;
            let request = chat_request(model, request);
            if request.is_stream() {
                let chunks = self.wire.call_stream::<ChatCompletionChunk>(&url, &request);
                Ok(ChatResponse::Stream(chat_chunks(chunks.await?)))
            } else {
                let completion = self.wire.call::<ChatCompletion>(&url, &request);
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
            let url = self.url(model, "completions")?;
            request.model.clone_from(&model.model_type);
            if request.is_stream() {
                let chunks = self.wire.call_stream::<Completion>(&url, &request);
                Ok(CompletionResponse::Stream(completion_chunks(chunks.await?)))
            } else {
                let completion = self.wire.call::<Completion>(&url, &request);
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
            let url = self.url(model, "embeddings")?;
            request.model.clone_from(&model.model_type);
            self.wire.call(&url, &request).await
        }))
    }
}

/// Reads Azure's error bodies into OpenAI's.
pub(crate) const ERROR_PARSER: ErrorParser = error::error_body;

/// The chunks of an Azure chat stream as a client should see them ([`stream`]).
pub(crate) fn chat_chunks(chunks: BoxStream<Result<ChatCompletionChunk, Error>>) -> ChatStream {
    Box::pin(chunks.filter_map(stream::chat_chunk_for_client))
}

/// The chunks of an Azure legacy completion stream as a client should see them ([`stream`]).
pub(crate) fn completion_chunks(chunks: BoxStream<Result<Completion, Error>>) -> CompletionStream {
    Box::pin(chunks.filter_map(stream::completion_chunk_for_client))
}

/// The chat request as Azure takes it.
///
/// The deployment chooses the model, so `model` only documents it. Azure's GA API versions
/// predate the `developer` role and refuse it; a `system` message is what they offer for the
/// same purpose, and newer versions treat it as developer instructions for reasoning models.
pub(crate) fn chat_request(
    model: &ModelConfig,
    mut request: ChatCompletionRequest,
) -> ChatCompletionRequest {
    request.model.clone_from(&model.model_type);
    for message in &mut request.messages {
        if let ChatMessage::Developer(instructions) = message {
            *message = ChatMessage::System(instructions.clone());
        }
    }
    request
}

/// The resource's endpoint: `base_url` as given, else built from `resource_name`.
fn endpoint(config: &ProviderConfig) -> Result<String, BuildError> {
    if let Some(base_url) = &config.base_url {
        return Ok(base_url.trim_end_matches('/').to_owned());
    }

    let resource = config
        .param_str("resource_name")
        .filter(|name| !name.is_empty())
        .ok_or(BuildError::InvalidSetting {
            field: "resource_name",
            message: "required unless `base_url` is given".to_owned(),
        })?;
    if !is_host_label(resource) {
        return Err(BuildError::InvalidSetting {
            field: "resource_name",
            message: "may hold only letters, digits and `-`".to_owned(),
        });
    }
    Ok(format!("https://{resource}.openai.azure.com"))
}

fn api_version(config: &ProviderConfig) -> Result<String, BuildError> {
    let version = config
        .param_str("api_version")
        .filter(|version| !version.is_empty());
    let usable = |version: &&str| {
        version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    version
        .filter(usable)
        .map(str::to_owned)
        .ok_or(BuildError::InvalidSetting {
            field: "api_version",
            message: "required, such as `2024-10-21`".to_owned(),
        })
}

/// The key as `api-key`, or an Entra ID token as a bearer.
fn headers(config: &ProviderConfig) -> Result<HeaderMap, BuildError> {
    let mut headers = json_headers();
    let token = config
        .param_str("azure_ad_token")
        .filter(|token| !token.is_empty());
    match (token, &config.api_key) {
        (Some(token), _) => {
            let value = secret_header(format!("Bearer {token}"), "azure_ad_token")?;
            headers.insert(http::header::AUTHORIZATION, value);
        }
        (None, Some(key)) => {
            headers.insert("api-key", secret_header(key.clone(), "api_key")?);
        }
        (None, None) => {
            return Err(BuildError::InvalidSetting {
                field: "api_key",
                message: "provider type azure needs `api_key` or `azure_ad_token`".to_owned(),
            });
        }
    }
    Ok(headers)
}

fn is_host_label(name: &str) -> bool {
    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// What Azure allows in a deployment name, none of which changes the URL around it.
fn is_path_segment(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    !name.is_empty() && name.chars().all(allowed) && name != "." && name != ".."
}
