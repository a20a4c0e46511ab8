//! The `bedrock` provider: AWS Bedrock Runtime's Converse, ConverseStream and InvokeModel,
//! signed with SigV4.
//!
//! Chat requests become Converse bodies ([`request`]) and Converse answers become chat
//! completions ([`response`]); streams arrive as `application/vnd.amazon.eventstream` frames
//! ([`eventstream`]) and are translated event by event ([`stream`]); embeddings go through
//! InvokeModel to Titan or Cohere models ([`embeddings`]). Every call is signed with the
//! account's credentials ([`credentials`], [`sigv4`]), or carries a Bedrock API key, and
//! Bedrock's exceptions become OpenAI's errors ([`error`]).
//!
//! Legacy completions are not offered: Bedrock has no such API.

mod aws_http;
mod credentials;
mod embeddings;
mod error;
mod eventstream;
mod request;
mod response;
mod settings;
mod sigv4;
mod stream;

pub(crate) use self::embeddings::{
    call_bodies as embeddings_bodies, one_text_answer as embeddings_answer,
};
pub(crate) use self::error::from_response as status_error;
pub(crate) use self::eventstream::{Frame, FrameStream};

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, Uri, header};
use http_body_util::Full;
use hub_core::chat::{ChatCompletion, ChatCompletionRequest};
use hub_core::config::{ModelConfig, ProviderConfig, ProviderType};
use hub_core::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use hub_core::{BoxFuture, ChatResponse, ChatStream, Error, Provider};
use hyper::body::Incoming;
use serde::Serialize;
use tokio::time::Instant;

use self::credentials::CredentialCache;
use self::response::{ConverseResponse, Envelope};
use self::settings::{AuthSettings, Settings};
use self::sigv4::{encode_label, sign_request};
use self::stream::Translator;
use crate::redact::Redactor;
use crate::upstream::{MAX_ERROR_BYTES, Upstream, error_chain};
use crate::{BuildError, HttpClient};

/// Bedrock's request id, from which answers take their `id`.
const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// One AWS account's (or API key's) access to Bedrock Runtime in one region.
pub struct BedrockProvider {
    key: String,
    upstream: Upstream,
    base_url: String,
    auth: Auth,
}

enum Auth {
    SigV4 {
        region: String,
        credentials: CredentialCache,
    },
    ApiKey(HeaderValue),
}

// Written by hand so that no credential reaches a log line.
impl fmt::Debug for BedrockProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.auth {
            Auth::SigV4 { region, .. } => format!("SigV4 ({region})"),
            Auth::ApiKey(_) => "API key".to_owned(),
        };
        f.debug_struct("BedrockProvider")
            .field("key", &self.key)
            .field("base_url", &self.base_url)
            .field("auth", &auth)
            .finish_non_exhaustive()
    }
}

/// The Bedrock Runtime operations Hub calls, each `POST /model/{modelId}/<path>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Converse,
    ConverseStream,
    InvokeModel,
}

impl Operation {
    fn path(self) -> &'static str {
        match self {
            Operation::Converse => "converse",
            Operation::ConverseStream => "converse-stream",
            Operation::InvokeModel => "invoke",
        }
    }

    fn accept(self) -> &'static str {
        match self {
            Operation::ConverseStream => "application/vnd.amazon.eventstream",
            Operation::Converse | Operation::InvokeModel => "application/json",
        }
    }
}

/// A 400 for a request field Bedrock cannot take, naming it.
fn request_error(param: impl Into<String>, message: impl Into<String>) -> Error {
    Error::InvalidRequest {
        message: message.into(),
        param: Some(param.into()),
    }
}

impl BedrockProvider {
    /// Builds the adapter from its configuration: `region`, `base_url`, and static keys,
    /// an `api_key`, or neither (the AWS credential chain).
    ///
    /// # Errors
    ///
    /// Fails when the signing region cannot be known, `base_url` is not a URL, or the API key
    /// holds characters a header cannot.
    pub fn new(config: &ProviderConfig, client: HttpClient) -> Result<Self, BuildError> {
        let settings = Settings::from_config(config)?;
        let redactor = Redactor::for_provider(config);
        let auth = match settings.auth {
            AuthSettings::StaticKeys {
                access_key_id,
                secret_access_key,
                session_token,
            } => Auth::SigV4 {
                credentials: CredentialCache::fixed(
                    &access_key_id,
                    &secret_access_key,
                    session_token.as_deref(),
                ),
                region: settings.region,
            },
            AuthSettings::CredentialChain => Auth::SigV4 {
                credentials: CredentialCache::chain(&settings.region, client.clone())
                    .learning_into(redactor.clone()),
                region: settings.region,
            },
            AuthSettings::ApiKey(key) => Auth::ApiKey(bearer(&key)?),
        };

        Ok(BedrockProvider {
            key: config.key.clone(),
            upstream: Upstream {
                provider: config.key.clone(),
                client,
                timeout: std::time::Duration::from_millis(config.timeout_ms.unwrap_or(600_000)),
                redactor,
            },
            base_url: settings.base_url,
            auth,
        })
    }

    async fn chat(
        &self,
        model: &ModelConfig,
        request: ChatCompletionRequest,
    ) -> Result<ChatResponse, Error> {
        let body = converse_body(&request)?;
        let deadline = self.upstream.deadline();
        if !request.is_stream() {
            let completion = self.converse(model, body, deadline).await?;
            return Ok(ChatResponse::Complete(Box::new(completion)));
        }

        let response = self
            .send(&model.model_type, Operation::ConverseStream, body, deadline)
            .await?;
        let include_usage = request
            .stream_options
            .as_ref()
            .and_then(|options| options.include_usage)
            .unwrap_or(false);
        let (parts, body) = response.into_parts();

        // The first frame is awaited like a response head, within the call's deadline.
        let opened = chat_chunks(
            self.upstream.clone(),
            &parts.headers,
            model,
            body,
            include_usage,
        );
        let stream = tokio::time::timeout_at(deadline, opened)
            .await
            .map_err(|_| self.upstream.timed_out())??;
        Ok(ChatResponse::Stream(stream))
    }

    async fn converse(
        &self,
        model: &ModelConfig,
        body: Vec<u8>,
        deadline: Instant,
    ) -> Result<hub_core::chat::ChatCompletion, Error> {
        let response = self
            .send(&model.model_type, Operation::Converse, body, deadline)
            .await?;
        let (parts, body) = response.into_parts();
        let body = self.upstream.read_response(body, deadline).await?;
        answer(&self.upstream, &parts.headers, model, &body)
    }

    /// Sends one authenticated call, turning an error status into Bedrock's error.
    async fn send(
        &self,
        model_id: &str,
        operation: Operation,
        body: Vec<u8>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, Error> {
        let mut request = Request::post(self.url(model_id, operation)?)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, operation.accept())
            .body(())
            .map_err(|error| Error::Internal(format!("cannot build the request: {error}")))?;
        self.authorize(&mut request, &body).await?;

        let request = request.map(|()| Full::new(Bytes::from(body)));
        let response = self.upstream.send(request, deadline).await?;
        if response.status().is_success() {
            return Ok(response);
        }

        let status = response.status();
        let (parts, body) = response.into_parts();
        let body = self
            .upstream
            .read_body(body, MAX_ERROR_BYTES, deadline)
            .await
            .unwrap_or_default();
        Err(error::from_response(
            &self.key,
            status,
            &parts.headers,
            &body,
        ))
    }

    fn url(&self, model_id: &str, operation: Operation) -> Result<Uri, Error> {
        let url = format!(
            "{}/model/{}/{}",
            self.base_url,
            encode_label(model_id),
            operation.path()
        );
        url.parse()
            .map_err(|error| Error::Internal(format!("cannot build the URL {url}: {error}")))
    }

    async fn authorize(&self, request: &mut Request<()>, body: &[u8]) -> Result<(), Error> {
        match &self.auth {
            Auth::ApiKey(value) => {
                request
                    .headers_mut()
                    .insert(header::AUTHORIZATION, value.clone());
                Ok(())
            }
            Auth::SigV4 {
                region,
                credentials,
            } => {
                let credentials =
                    credentials
                        .get()
                        .await
                        .map_err(|error| Error::UpstreamUnreachable {
                            provider: self.key.clone(),
                            message: format!(
                                "could not obtain AWS credentials: {}",
                                error_chain(&error)
                            ),
                        })?;
                sign_request(request, body, &credentials, region, SystemTime::now())
                    .map_err(|error| Error::Internal(format!("{}: {error}", self.key)))
            }
        }
    }
}

impl Provider for BedrockProvider {
    fn key(&self) -> &str {
        &self.key
    }

    fn provider_type(&self) -> ProviderType {
        ProviderType::Bedrock
    }

    fn chat_completion<'a>(
        &'a self,
        model: &'a ModelConfig,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, Error>> {
        Box::pin(self.upstream.redactor.guard(self.chat(model, request)))
    }

    fn embeddings<'a>(
        &'a self,
        model: &'a ModelConfig,
        request: EmbeddingsRequest,
    ) -> BoxFuture<'a, Result<EmbeddingsResponse, Error>> {
        Box::pin(self.upstream.redactor.guard(self.embed(model, request)))
    }
}

fn bearer(key: &str) -> Result<HeaderValue, BuildError> {
    let mut value =
        HeaderValue::try_from(format!("Bearer {key}")).map_err(|_| BuildError::InvalidSetting {
            field: "api_key",
            message: "contains characters not allowed in an HTTP header".to_owned(),
        })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The Converse body a chat request becomes.
pub(crate) fn converse_body(request: &ChatCompletionRequest) -> Result<Vec<u8>, Error> {
    encode(&request::converse(request)?)
}

/// The chat completion for a Converse answer with `headers` and `body`.
pub(crate) fn answer(
    upstream: &Upstream,
    headers: &HeaderMap,
    model: &ModelConfig,
    body: &[u8],
) -> Result<ChatCompletion, Error> {
    let answer: ConverseResponse = serde_json::from_slice(body)
        .map_err(|error| upstream.protocol(format!("unexpected Converse response: {error}")))?;
    response::chat_completion(&upstream.provider, answer, envelope(headers, model))
}

/// The client's chunks for a ConverseStream answer with `headers` and `body`, once its first
/// frame has come.
pub(crate) async fn chat_chunks<B>(
    upstream: Upstream,
    headers: &HeaderMap,
    model: &ModelConfig,
    body: B,
    include_usage: bool,
) -> Result<ChatStream, Error>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    let translator = Translator::new(&upstream.provider, envelope(headers, model), include_usage);
    let frames = FrameStream::new(body, upstream.stream_limits());
    stream::open(upstream, frames, translator).await
}

fn encode(body: &impl Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body)
        .map_err(|error| Error::Internal(format!("cannot encode the request: {error}")))
}

/// The `id`, `created` and `model` of an answer. The id carries Bedrock's request id, so an
/// answer can be traced in AWS's logs.
fn envelope(headers: &HeaderMap, model: &ModelConfig) -> Envelope {
    let request_id = headers
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty())
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned);
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    Envelope {
        id: format!("chatcmpl-{request_id}"),
        created,
        model: model.model_type.clone(),
    }
}
