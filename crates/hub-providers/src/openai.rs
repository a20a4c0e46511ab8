//! The `openai` provider: OpenAI's API, or any server that speaks it.
//!
//! Requests already are in OpenAI's shape, so the adapter only swaps in the provider's
//! model id, authenticates, and reads the answer back into Hub's types. Fields Hub does
//! not model travel in the types' `extra` maps and reach the upstream unchanged.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri, header};
use http_body_util::Full;
use hub_core::chat::{ChatCompletion, ChatCompletionChunk, ChatCompletionRequest};
use hub_core::completion::{Completion, CompletionRequest};
use hub_core::config::{ModelConfig, ProviderConfig, ProviderType};
use hub_core::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use hub_core::{
    BoxFuture, BoxStream, ChatResponse, CompletionResponse, Error, ErrorBody, Provider,
};
use hyper::body::Incoming;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::sse::EventStream;
use crate::upstream::{MAX_ERROR_BYTES, MAX_RESPONSE_BYTES, Upstream, retry_after};
use crate::{BuildError, HttpClient};

const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// An OpenAI account, or an OpenAI-compatible server.
#[derive(Debug)]
pub struct OpenAiProvider {
    key: String,
    upstream: Upstream,
    headers: HeaderMap,
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

        Ok(OpenAiProvider {
            key: config.key.clone(),
            upstream: Upstream {
                provider: config.key.clone(),
                client,
                timeout: Duration::from_millis(config.timeout_ms.unwrap_or(600_000)),
            },
            headers: headers(config)?,
            chat_url: url("/chat/completions")?,
            completions_url: url("/completions")?,
            embeddings_url: url("/embeddings")?,
        })
    }

    fn request(&self, url: &Uri, body: &impl Serialize) -> Result<Request<Full<Bytes>>, Error> {
        let body = serde_json::to_vec(body)
            .map_err(|error| Error::Internal(format!("cannot encode the request: {error}")))?;
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(url.clone())
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| Error::Internal(format!("cannot build the request: {error}")))?;
        request.headers_mut().clone_from(&self.headers);
        Ok(request)
    }

    /// Sends a call whose answer is one JSON document.
    async fn call<T: DeserializeOwned>(
        &self,
        url: &Uri,
        body: &impl Serialize,
    ) -> Result<T, Error> {
        let deadline = self.upstream.deadline();
        let response = self
            .upstream
            .send(self.request(url, body)?, deadline)
            .await?;
        let response = self.check_status(response, deadline).await?;

        let body = self
            .upstream
            .read_body(response.into_body(), MAX_RESPONSE_BYTES, deadline)
            .await?;
        self.decode(&body)
    }

    /// Sends a call whose answer is an event stream of `T` chunks.
    async fn call_stream<T>(
        &self,
        url: &Uri,
        body: &impl Serialize,
    ) -> Result<BoxStream<Result<T, Error>>, Error>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let deadline = self.upstream.deadline();
        let response = self
            .upstream
            .send(self.request(url, body)?, deadline)
            .await?;
        let response = self.check_status(response, deadline).await?;

        let events = EventStream::new(response.into_body(), self.upstream.timeout);
        Ok(chunks(self.upstream.clone(), events))
    }

    /// Passes a success on, and turns an error status into [`Error::UpstreamStatus`].
    async fn check_status(
        &self,
        response: http::Response<Incoming>,
        deadline: Instant,
    ) -> Result<http::Response<Incoming>, Error> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }

        let retry_after = retry_after(response.headers());
        let body = self
            .upstream
            .read_body(response.into_body(), MAX_ERROR_BYTES, deadline)
            .await
            .unwrap_or_default();
        Err(Error::UpstreamStatus {
            provider: self.key.clone(),
            status: status.as_u16(),
            body: Box::new(error_body(status, &body)),
            retry_after,
        })
    }

    fn decode<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, Error> {
        serde_json::from_slice(body).map_err(|error| match reported_error(body) {
            Some(reported) => Error::UpstreamReported {
                provider: self.key.clone(),
                body: Box::new(reported),
            },
            None => self
                .upstream
                .protocol(format!("unexpected response body: {error}")),
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
        Box::pin(async move {
            request.model.clone_from(&model.model_type);
            if request.is_stream() {
                let stream = self.call_stream::<ChatCompletionChunk>(&self.chat_url, &request);
                Ok(ChatResponse::Stream(stream.await?))
            } else {
                let completion = self.call::<ChatCompletion>(&self.chat_url, &request);
                Ok(ChatResponse::Complete(Box::new(completion.await?)))
            }
        })
    }

    fn completion<'a>(
        &'a self,
        model: &'a ModelConfig,
        mut request: CompletionRequest,
    ) -> BoxFuture<'a, Result<CompletionResponse, Error>> {
        Box::pin(async move {
            request.model.clone_from(&model.model_type);
            if request.is_stream() {
                let stream = self.call_stream::<Completion>(&self.completions_url, &request);
                Ok(CompletionResponse::Stream(stream.await?))
            } else {
                let completion = self.call::<Completion>(&self.completions_url, &request);
                Ok(CompletionResponse::Complete(Box::new(completion.await?)))
            }
        })
    }

    fn embeddings<'a>(
        &'a self,
        model: &'a ModelConfig,
        mut request: EmbeddingsRequest,
    ) -> BoxFuture<'a, Result<EmbeddingsResponse, Error>> {
        Box::pin(async move {
            request.model.clone_from(&model.model_type);
            self.call(&self.embeddings_url, &request).await
        })
    }
}

/// The headers every call carries. The key is marked sensitive so that no debug output
/// of a request shows it.
fn headers(config: &ProviderConfig) -> Result<HeaderMap, BuildError> {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::ACCEPT,
        HeaderValue::from_static("application/json, text/event-stream"),
    );

    let invalid = |field| {
        move |_| BuildError::InvalidSetting {
            field,
            message: "contains characters not allowed in an HTTP header".to_owned(),
        }
    };
    if let Some(key) = &config.api_key {
        let mut value =
            HeaderValue::try_from(format!("Bearer {key}")).map_err(invalid("api_key"))?;
        value.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, value);
    }
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

/// The chunks of an OpenAI event stream, up to `data: [DONE]`.
///
/// A stream that closes without `[DONE]` was cut off, and says so as its last item rather
/// than passing for a complete answer.
fn chunks<T>(upstream: Upstream, events: EventStream<Incoming>) -> BoxStream<Result<T, Error>>
where
    T: DeserializeOwned + Send + 'static,
{
    let state = Some(Box::pin(events));
    Box::pin(futures_util::stream::unfold(state, move |state| {
        let upstream = upstream.clone();
        async move {
            let mut events = state?;
            loop {
                let event = match events.next().await {
                    Some(Ok(event)) => event,
                    Some(Err(error)) => return Some((Err(stream_error(&upstream, &error)), None)),
                    None => {
                        let error = upstream.protocol("stream ended before [DONE]");
                        return Some((Err(error), None));
                    }
                };
                let Some(data) = event.data else { continue };
                if data == "[DONE]" {
                    return None;
                }
                return Some((decode_chunk(&upstream, &data), Some(events)));
            }
        }
    }))
}

fn decode_chunk<T: DeserializeOwned>(upstream: &Upstream, data: &str) -> Result<T, Error> {
    serde_json::from_str(data).map_err(|error| match reported_error(data.as_bytes()) {
        Some(body) => Error::UpstreamReported {
            provider: upstream.provider.clone(),
            body: Box::new(body),
        },
        None => upstream.protocol(format!("unexpected stream event: {error}")),
    })
}

fn stream_error(upstream: &Upstream, error: &crate::sse::SseError) -> Error {
    match error {
        crate::sse::SseError::Idle(_) => upstream.timed_out(),
        crate::sse::SseError::Decode(error) => Error::UpstreamUnreachable {
            provider: upstream.provider.clone(),
            message: format!("stream broke: {error}"),
        },
    }
}

/// An error object where an answer was expected: `{"error": {...}}`.
fn reported_error(body: &[u8]) -> Option<ErrorBody> {
    serde_json::from_slice(body).ok()
}

/// The upstream's error body, or one that describes what it sent instead.
fn error_body(status: StatusCode, body: &[u8]) -> ErrorBody {
    if let Some(parsed) = reported_error(body) {
        return parsed;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let message = if text.is_empty() {
        format!("upstream answered {status} with no body")
    } else {
        format!("upstream answered {status}: {}", truncate(text, 512))
    };
    ErrorBody::new("upstream_error", message)
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}
