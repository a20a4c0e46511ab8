//! The `anthropic` provider: Claude through Anthropic's Messages API, behind OpenAI's chat
//! API.
//!
//! A chat request is translated to a Messages request ([`request`]), sent with the
//! account's `x-api-key` and the `anthropic-version` header, and the answer translated back:
//! whole ([`response`]) or event by event ([`stream`]). Error statuses and `error` events
//! become Hub's errors with Anthropic's message kept ([`error`]). Anthropic serves no legacy
//! completions and no embeddings, so those operations are refused.

mod error;
mod request;
mod response;
mod stream;
mod wire;

pub(crate) use self::error::status_error;
pub(crate) use self::request::{Settings, translate};
pub(crate) use self::stream::Translator;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Uri, header};
use http_body::Body;
use http_body_util::Full;
use hub_core::chat::{ChatCompletion, ChatCompletionRequest};
use hub_core::config::{ModelConfig, ProviderConfig, ProviderType};
use hub_core::{BoxFuture, ChatResponse, ChatStream, Error, Provider};
use hyper::body::Incoming;
use tokio::time::Instant;

use self::stream::Chunks;
use self::wire::MessageResponse;
use crate::redact::Redactor;
use crate::upstream::{MAX_ERROR_BYTES, Upstream, retry_after};
use crate::{BuildError, HttpClient};

const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";

/// The documented, stable version of the API (PROTOCOLS.md 2.1).
const DEFAULT_VERSION: &str = "2023-06-01";

/// The output limit when the client sets none, as Anthropic requires one.
const DEFAULT_MAX_TOKENS: u32 = 4096;

/// An Anthropic account.
#[derive(Debug)]
pub struct AnthropicProvider {
    key: String,
    upstream: Upstream,
    headers: HeaderMap,
    messages_url: Uri,
    settings: Settings,
}

impl AnthropicProvider {
    /// Builds the adapter from its configuration: `api_key`, `base_url`, `version` (the
    /// `anthropic-version` header) and `default_max_tokens`.
    ///
    /// # Errors
    ///
    /// Fails when `base_url` is not a URL, a header value holds forbidden characters, or
    /// `default_max_tokens` is not a positive integer.
    pub fn new(config: &ProviderConfig, client: HttpClient) -> Result<Self, BuildError> {
        let base_url = config.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let messages_url = format!("{}/v1/messages", base_url.trim_end_matches('/'))
            .parse::<Uri>()
            .map_err(|error| BuildError::InvalidSetting {
                field: "base_url",
                message: error.to_string(),
            })?;

        Ok(AnthropicProvider {
            key: config.key.clone(),
            upstream: Upstream {
                provider: config.key.clone(),
                client,
                timeout: Duration::from_millis(config.timeout_ms.unwrap_or(600_000)),
                redactor: Redactor::for_provider(config),
            },
            headers: headers(config)?,
            messages_url,
            settings: Settings {
                default_max_tokens: default_max_tokens(config)?,
            },
        })
    }

    fn request(&self, body: &wire::MessagesRequest) -> Result<Request<Full<Bytes>>, Error> {
        let body = serde_json::to_vec(body)
            .map_err(|error| Error::Internal(format!("cannot encode the request: {error}")))?;
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.messages_url.clone())
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| Error::Internal(format!("cannot build the request: {error}")))?;
        request.headers_mut().clone_from(&self.headers);
        Ok(request)
    }

    /// Sends `body` and passes a success on; an error status becomes Hub's error.
    async fn send(
        &self,
        body: &wire::MessagesRequest,
        deadline: Instant,
    ) -> Result<http::Response<Incoming>, Error> {
        let response = self.upstream.send(self.request(body)?, deadline).await?;
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
        Err(error::status_error(&self.key, status, retry_after, &body))
    }

    async fn complete(&self, body: wire::MessagesRequest) -> Result<ChatResponse, Error> {
        let deadline = self.upstream.deadline();
        let response = self.send(&body, deadline).await?;
        let bytes = self
            .upstream
            .read_response(response.into_body(), deadline)
            .await?;

        let completion = answer(&self.upstream, &bytes, unix_now())?;
        Ok(ChatResponse::Complete(Box::new(completion)))
    }

    async fn stream(
        &self,
        body: wire::MessagesRequest,
        include_usage: bool,
    ) -> Result<ChatResponse, Error> {
        let response = self.send(&body, self.upstream.deadline()).await?;

        let translator = Translator::new(&self.key, unix_now(), include_usage);
        let chunks = chunks(&self.upstream, response.into_body(), translator);
        Ok(ChatResponse::Stream(chunks))
    }
}

/// The chat completion for an answer's `body`, created at `created` (Unix seconds).
pub(crate) fn answer(
    upstream: &Upstream,
    body: &[u8],
    created: u64,
) -> Result<ChatCompletion, Error> {
    let message: MessageResponse = serde_json::from_slice(body).map_err(|error| {
        // A proxy or a degraded API may answer 200 with an error object; its words
        // serve the client better than a parse error.
        match serde_json::from_slice::<wire::ErrorResponse>(body) {
            Ok(reported) => error::reported(&upstream.provider, reported.error),
            Err(_) => upstream.protocol(format!("unexpected response body: {error}")),
        }
    })?;
    Ok(response::completion(message, created))
}

/// The client's chunks for an event-stream `body`.
pub(crate) fn chunks<B>(upstream: &Upstream, body: B, translator: Translator) -> ChatStream
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let events = Box::pin(upstream.events(body));
    Box::pin(Chunks::new(events, translator, upstream.timeout))
}

impl Provider for AnthropicProvider {
    fn key(&self) -> &str {
        &self.key
    }

    fn provider_type(&self) -> ProviderType {
        ProviderType::Anthropic
    }

    fn chat_completion<'a>(
        &'a self,
        model: &'a ModelConfig,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, Error>> {
        Box::pin(self.upstream.redactor.guard(async move {
            let include_usage = request
                .stream_options
                .as_ref()
                .and_then(|options| options.include_usage)
                .unwrap_or(false);
            let body = request::translate(request, &model.model_type, self.settings)?;

            if body.stream == Some(true) {
                self.stream(body, include_usage).await
            } else {
                self.complete(body).await
            }
        }))
    }
}

/// The headers every call carries. The key is marked sensitive so that no debug output
/// of a request shows it.
fn headers(config: &ProviderConfig) -> Result<HeaderMap, BuildError> {
    let invalid = |field| {
        move |_| BuildError::InvalidSetting {
            field,
            message: "contains characters not allowed in an HTTP header".to_owned(),
        }
    };

    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::ACCEPT,
        HeaderValue::from_static("application/json, text/event-stream"),
    );

    let version = setting(config, "version").unwrap_or(DEFAULT_VERSION);
    let version = HeaderValue::try_from(version).map_err(invalid("version"))?;
    headers.insert("anthropic-version", version);

    if let Some(key) = &config.api_key {
        let mut value = HeaderValue::try_from(key.as_str()).map_err(invalid("api_key"))?;
        value.set_sensitive(true);
        headers.insert("x-api-key", value);
    }
    Ok(headers)
}

fn default_max_tokens(config: &ProviderConfig) -> Result<u32, BuildError> {
    let Some(text) = setting(config, "default_max_tokens") else {
        return Ok(DEFAULT_MAX_TOKENS);
    };
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|tokens| *tokens > 0)
        .ok_or_else(|| BuildError::InvalidSetting {
            field: "default_max_tokens",
            message: "must be a positive integer".to_owned(),
        })
}

/// A type-specific setting; an empty one counts as not given, as validation reads it.
fn setting<'a>(config: &'a ProviderConfig, name: &str) -> Option<&'a str> {
    config
        .param_str(name)
        .filter(|value| !value.trim().is_empty())
}

fn unix_now() -> u64 {
    // A clock before 1970 is a broken machine; 0 still yields a well-formed response.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
