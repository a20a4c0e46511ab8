//! Errors of the HTTP surface, and the one place any error becomes a response.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use hub_core::ErrorBody;

use crate::gateway::{ResponseBody, full_body};
use crate::telemetry::spans;

/// Why the gateway could not serve a request.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// No route, pipeline or model by that name.
    #[error("{message}")]
    NotFound { message: String, code: &'static str },
    /// Access keys are configured, and the request bears none of them. The message never
    /// holds what the client sent.
    #[error("{message}")]
    Unauthorized { message: &'static str },
    /// The path exists, but not for this method.
    #[error("method not allowed; use {allow}")]
    MethodNotAllowed { allow: &'static str },
    /// The body is not JSON.
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// The body is larger than the configured limit.
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: u64 },
    /// The body cannot be read as the operation's request.
    #[error("{message}")]
    BadRequest {
        message: String,
        param: Option<String>,
        code: Option<&'static str>,
    },
    /// The client did not send its whole body within the configured time.
    #[error("the request body did not arrive within {timeout_ms} ms")]
    RequestTimeout { timeout_ms: u128 },
    /// As many requests as the gateway serves at once are in flight.
    #[error("the gateway is serving as many requests as it allows at once; retry shortly")]
    Overloaded,
    /// The request bodies held in memory already fill the gateway's budget for them.
    #[error("the gateway holds as many request bodies in memory as it allows; retry shortly")]
    BodiesOverBudget,
    /// The client went away while its body was being read.
    #[error("could not read the request body: {0}")]
    BodyRead(String),
    /// The provider, or the translation to and from it, failed.
    #[error(transparent)]
    Provider(#[from] hub_core::Error),
}

/// See [`GatewayError::log_text`].
pub(crate) struct LogText<'a> {
    error: &'a GatewayError,
    content: bool,
}

impl std::fmt::Display for LogText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.error {
            GatewayError::Provider(error) => {
                std::fmt::Display::fmt(&spans::error_text(error, self.content), f)
            }
            other => std::fmt::Display::fmt(other, f),
        }
    }
}

impl GatewayError {
    /// What a log line may say of the error: a provider's message only when `content` may be
    /// traced, as [`spans::error_text`] decides. Formatted only where it is written.
    pub(crate) fn log_text(&self, content: bool) -> LogText<'_> {
        LogText {
            error: self,
            content,
        }
    }

    /// The status the client receives.
    pub fn status(&self) -> StatusCode {
        match self {
            GatewayError::NotFound { .. } => StatusCode::NOT_FOUND,
            GatewayError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            GatewayError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            GatewayError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            GatewayError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            GatewayError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            GatewayError::Overloaded | GatewayError::BodiesOverBudget => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            GatewayError::BadRequest { .. } | GatewayError::BodyRead(_) => StatusCode::BAD_REQUEST,
            GatewayError::Provider(error) => {
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_GATEWAY)
            }
        }
    }

    /// OpenAI's error body for this error.
    pub fn to_body(&self) -> ErrorBody {
        let message = self.to_string();
        match self {
            GatewayError::NotFound { code, .. } => {
                ErrorBody::new("invalid_request_error", message).with_code(*code)
            }
            GatewayError::Unauthorized { .. } => {
                ErrorBody::new("invalid_request_error", message).with_code("invalid_api_key")
            }
            GatewayError::MethodNotAllowed { .. } => {
                ErrorBody::new("invalid_request_error", message).with_code("method_not_allowed")
            }
            GatewayError::UnsupportedMediaType => {
                ErrorBody::new("invalid_request_error", message).with_code("unsupported_media_type")
            }
            GatewayError::PayloadTooLarge { .. } => {
                ErrorBody::new("invalid_request_error", message).with_code("request_too_large")
            }
            GatewayError::RequestTimeout { .. } => {
                ErrorBody::new("invalid_request_error", message).with_code("request_timeout")
            }
            GatewayError::Overloaded | GatewayError::BodiesOverBudget => {
                ErrorBody::new("server_error", message).with_code("overloaded")
            }
            GatewayError::BadRequest { param, code, .. } => {
                let mut body = ErrorBody::new("invalid_request_error", message);
                body.error.param.clone_from(param);
                body.error.code = code.map(str::to_owned);
                body
            }
            GatewayError::BodyRead(_) => ErrorBody::new("invalid_request_error", message),
            GatewayError::Provider(error) => error.to_body(),
        }
    }

    /// The response for this error: status, OpenAI's body, and `Allow` or `Retry-After`
    /// where they apply.
    pub fn into_response(self) -> Response<ResponseBody> {
        let body = serde_json::to_vec(&self.to_body()).unwrap_or_default();
        let mut response = Response::new(full_body(Bytes::from(body)));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );

        match &self {
            GatewayError::Unauthorized { .. } => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            GatewayError::MethodNotAllowed { allow } => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            // A slot frees as soon as any request in flight ends.
            GatewayError::Overloaded | GatewayError::BodiesOverBudget => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            // 529 is Anthropic's "overloaded", which it sends with a delay like a 503.
            GatewayError::Provider(hub_core::Error::UpstreamStatus {
                retry_after: Some(delay),
                status: 429 | 503 | 529,
                ..
            }) => {
                let seconds = delay.as_secs_f64().ceil().max(1.0);
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds as u64));
            }
            _ => {}
        }
        response
    }
}
