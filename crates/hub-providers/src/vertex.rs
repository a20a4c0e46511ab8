//! The `vertexai` provider: Gemini models on Google Vertex AI.
//!
//! Chat goes to `:generateContent`, streams to `:streamGenerateContent?alt=sse`, embeddings to
//! a text-embedding model's `:predict`, all under
//! `{base_url}/v1/projects/{project_id}/locations/{location}/publishers/google/models/{model}`.
//! Calls carry a service account's OAuth2 access token ([`auth`]) or an API key
//! (`x-goog-api-key`). Requests and answers are translated both ways: [`request`] and
//! [`tools`] build Vertex's request, [`response`] and [`stream`] read its answers, [`error`]
//! its errors.

mod auth;
mod embeddings;
mod error;
mod request;
mod response;
mod schema;
mod stream;
mod tools;
mod wire;

pub(crate) use self::embeddings::predict_request;
pub(crate) use self::error::error_body;
pub(crate) use self::request::chat_request;

#[cfg(test)]
mod tests;

use bytes::Bytes;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue, Uri};
use http_body::Body;
use hub_core::chat::{ChatCompletion, ChatCompletionRequest};
use hub_core::config::{ModelConfig, ProviderConfig, ProviderType};
use hub_core::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use hub_core::{BoxFuture, ChatResponse, ChatStream, Error, Provider};
use hyper::body::Incoming;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use self::auth::{ServiceAccount, TokenSource};
use self::response::Envelope;
use self::stream::Translator;
use self::wire::{GenerateContentResponse, PredictResponse};
use crate::openai_wire::{json_headers, secret_header};
use crate::redact::Redactor;
use crate::upstream::{Upstream, json_request};
use crate::{BuildError, HttpClient};

/// A Google Cloud project's Vertex AI, in one location.
#[derive(Debug)]
pub struct VertexProvider {
    key: String,
    upstream: Upstream,
    credentials: Credentials,
    /// `{base}/v1/projects/{project}/locations/{location}/publishers/google/models`.
    models_url: String,
}

/// How calls prove who sends them.
#[derive(Debug)]
enum Credentials {
    ApiKey(HeaderValue),
    ServiceAccount(Box<TokenSource>),
}

impl VertexProvider {
    /// Builds the adapter from its configuration: `project_id`, `location`, optional
    /// `base_url`, and one of `credentials_path`, `credentials_json` or `api_key`. A key file
    /// is read now, so a missing or broken one stops the gateway at start.
    ///
    /// # Errors
    ///
    /// Fails when a setting is missing or unusable, or the key file cannot be read.
    pub fn new(config: &ProviderConfig, client: HttpClient) -> Result<Self, BuildError> {
        // Domain-scoped project ids read `example.com:project`.
        let project = url_segment(config, "project_id", &['-', '.', ':'])?;
        let location = url_segment(config, "location", &['-'])?;
        let base_url = match &config.base_url {
            Some(base_url) => base_url.trim_end_matches('/').to_owned(),
            None => default_host(location),
        };
        let upstream = Upstream {
            provider: config.key.clone(),
            client,
            timeout: Duration::from_millis(config.timeout_ms.unwrap_or(600_000)),
            redactor: Redactor::for_provider(config),
        };

        let provider = VertexProvider {
            key: config.key.clone(),
            credentials: credentials(config, &upstream)?,
            upstream,
            models_url: format!(
                "{base_url}/v1/projects/{project}/locations/{location}/publishers/google/models"
            ),
        };
        // A base URL that does not make a URL is a configuration fault: reported now.
        provider
            .method_url("model", "generateContent")
            .map_err(|error| BuildError::InvalidSetting {
                field: "base_url",
                message: error.to_string(),
            })?;
        Ok(provider)
    }

    /// The URL of `method` on the model.
    fn url(&self, model: &ModelConfig, method: &str) -> Result<Uri, Error> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@');
        if model.model_type.is_empty() || !model.model_type.chars().all(allowed) {
            return Err(Error::Internal(format!(
                "model `{}`: `{}` is not a Vertex AI model id",
                model.key, model.model_type
            )));
        }
        self.method_url(&model.model_type, method)
            .map_err(|error| Error::Internal(format!("cannot build the URL: {error}")))
    }

    fn method_url(&self, model: &str, method: &str) -> Result<Uri, http::uri::InvalidUri> {
        format!("{}/{model}:{method}", self.models_url).parse()
    }

    /// The headers of a call: JSON, and the credentials.
    async fn headers(&self) -> Result<HeaderMap, Error> {
        let mut headers = json_headers();
        match &self.credentials {
            Credentials::ApiKey(key) => {
                headers.insert("x-goog-api-key", key.clone());
            }
            Credentials::ServiceAccount(tokens) => {
                headers.insert(http::header::AUTHORIZATION, tokens.bearer().await?);
            }
        }
        Ok(headers)
    }

    /// Sends `body` and returns the response once its status is a success.
    async fn send(
        &self,
        url: &Uri,
        body: &impl Serialize,
        deadline: Instant,
    ) -> Result<http::Response<Incoming>, Error> {
        let request = json_request(url, &self.headers().await?, body)?;
        let response = self.upstream.send(request, deadline).await?;
        self.upstream
            .check_status(response, deadline, error::error_body)
            .await
    }

    /// Sends a call whose answer is one JSON document.
    async fn call<T: DeserializeOwned>(
        &self,
        url: &Uri,
        body: &impl Serialize,
    ) -> Result<T, Error> {
        let deadline = self.upstream.deadline();
        let response = self.send(url, body, deadline).await?;
        let body = self
            .upstream
            .read_response(response.into_body(), deadline)
            .await?;
        decode(&self.upstream, &body)
    }
}

/// Reads an answer's body.
fn decode<T: DeserializeOwned>(upstream: &Upstream, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body)
        .map_err(|error| upstream.protocol(format!("unexpected response body: {error}")))
}

/// The chat completion for a `generateContent` answer's `body`, from `model`, created at
/// `created` (Unix seconds).
pub(crate) fn answer(
    upstream: &Upstream,
    body: &[u8],
    model: &str,
    created: u64,
) -> Result<ChatCompletion, Error> {
    let answer: GenerateContentResponse = decode(upstream, body)?;
    let envelope = Envelope::of(&answer, model, created);
    response::chat_completion(answer, envelope, &upstream.provider)
}

/// OpenAI's embeddings answer for a `predict` answer's `body`, from `model`.
pub(crate) fn embeddings_answer(
    upstream: &Upstream,
    body: &[u8],
    model: &str,
) -> Result<EmbeddingsResponse, Error> {
    let answer: PredictResponse = decode(upstream, body)?;
    Ok(embeddings::embeddings_response(answer, model))
}

/// The client's chunks for a `streamGenerateContent` event-stream `body`.
pub(crate) fn chat_chunks<B>(
    upstream: Upstream,
    body: B,
    model: String,
    created: u64,
    include_usage: bool,
) -> ChatStream
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let events = upstream.events(body);
    let translator = Translator::new(upstream, model, created, include_usage);
    stream::chunks(events, translator)
}

impl Provider for VertexProvider {
    fn key(&self) -> &str {
        &self.key
    }

    fn provider_type(&self) -> ProviderType {
        ProviderType::VertexAi
    }

    fn chat_completion<'a>(
        &'a self,
        model: &'a ModelConfig,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, Error>> {
        Box::pin(self.upstream.redactor.guard(async move {
            let body = request::chat_request(&request)?;
            let created = unix_now();

            if request.is_stream() {
                let url = self.url(model, "streamGenerateContent?alt=sse")?;
                let response = self.send(&url, &body, self.upstream.deadline()).await?;
                let include_usage = request
                    .stream_options
                    .as_ref()
                    .and_then(|options| options.include_usage)
                    == Some(true);
                let chunks = chat_chunks(
                    self.upstream.clone(),
                    response.into_body(),
                    model.model_type.clone(),
                    created,
                    include_usage,
                );
                return Ok(ChatResponse::Stream(chunks));
            }

            let url = self.url(model, "generateContent")?;
            let answer: GenerateContentResponse = self.call(&url, &body).await?;
            let envelope = Envelope::of(&answer, &model.model_type, created);
            let completion = response::chat_completion(answer, envelope, &self.key)?;
            Ok(ChatResponse::Complete(Box::new(completion)))
        }))
    }

    fn embeddings<'a>(
        &'a self,
        model: &'a ModelConfig,
        request: EmbeddingsRequest,
    ) -> BoxFuture<'a, Result<EmbeddingsResponse, Error>> {
        Box::pin(self.upstream.redactor.guard(async move {
            let body = embeddings::predict_request(&request)?;
            let url = self.url(model, "predict")?;
            let answer: PredictResponse = self.call(&url, &body).await?;
            Ok(embeddings::embeddings_response(answer, &model.model_type))
        }))
    }
}

/// The regional host, or the global one, which has no region in its name.
fn default_host(location: &str) -> String {
    if location == "global" {
        "https://aiplatform.googleapis.com".to_owned()
    } else {
        format!("https://{location}-aiplatform.googleapis.com")
    }
}

/// A setting that becomes a segment of the URL: required, and made of letters, digits and
/// the `punctuation` its kind of name uses.
fn url_segment<'a>(
    config: &'a ProviderConfig,
    field: &'static str,
    punctuation: &[char],
) -> Result<&'a str, BuildError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || punctuation.contains(&c);
    config
        .param_str(field)
        .filter(|value| !value.is_empty() && value.chars().all(allowed))
        .ok_or_else(|| BuildError::InvalidSetting {
            field,
            message: format!(
                "required, and may hold only letters, digits and {}",
                listed(punctuation)
            ),
        })
}

fn listed(punctuation: &[char]) -> String {
    let quoted: Vec<String> = punctuation.iter().map(|c| format!("`{c}`")).collect();
    quoted.join(", ")
}

fn credentials(config: &ProviderConfig, upstream: &Upstream) -> Result<Credentials, BuildError> {
    let setting = |name| {
        config
            .param_str(name)
            .filter(|value| !value.trim().is_empty())
    };
    let account = match (setting("credentials_path"), setting("credentials_json")) {
        (Some(path), None) => {
            let json =
                std::fs::read_to_string(path).map_err(|error| BuildError::InvalidSetting {
                    field: "credentials_path",
                    message: format!("cannot read {path}: {error}"),
                })?;
            ServiceAccount::from_json(&json, "credentials_path")?
        }
        (None, Some(json)) => ServiceAccount::from_json(json, "credentials_json")?,
        (None, None) => {
            let key = config.api_key.as_ref().ok_or(BuildError::InvalidSetting {
                field: "api_key",
                message: "provider type vertexai needs `credentials_path`, `credentials_json` \
                          or `api_key`"
                    .to_owned(),
            })?;
            return Ok(Credentials::ApiKey(secret_header(key.clone(), "api_key")?));
        }
        (Some(_), Some(_)) => {
            return Err(BuildError::InvalidSetting {
                field: "credentials_json",
                message: "give `credentials_path` or `credentials_json`, not both".to_owned(),
            });
        }
    };
    let tokens = TokenSource::new(account, upstream.clone());
    Ok(Credentials::ServiceAccount(Box::new(tokens)))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The refusal of a request Vertex AI cannot honour, naming the parameter.
fn refuse(param: &str, why: &str) -> Error {
    Error::InvalidRequest {
        message: format!("`{param}` cannot be sent to Vertex AI: {why}."),
        param: Some(param.to_owned()),
    }
}

/// The refusal of a parameter Vertex AI has no equivalent for.
fn unsupported(param: &str) -> Error {
    refuse(param, "Vertex AI has no equivalent")
}
