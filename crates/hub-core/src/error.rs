//! The error model: what went wrong, whose fault it was, whether a retry may help, and
//! OpenAI's error body that clients read.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// OpenAI's error response: `{"error": {"message", "type", "param", "code"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The inside of [`ErrorBody`]. `param` and `code` are always written, `null` when unset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub message: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub param: Option<String>,
    #[serde(default, deserialize_with = "code_as_string")]
    pub code: Option<String>,
}

/// Some OpenAI-compatible servers send numeric codes; they read as their decimal text.
fn code_as_string<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(code)) => Some(code),
        Some(other) => Some(other.to_string()),
    })
}

impl ErrorBody {
    /// An error body with the given type and message, and no param or code.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                message: message.into(),
                kind: kind.into(),
                param: None,
                code: None,
            },
        }
    }

    /// Sets `code`.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.error.code = Some(code.into());
        self
    }

    /// Sets `param`.
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.error.param = Some(param.into());
        self
    }
}

/// Whose fault an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The client sent something Hub or the provider cannot serve.
    Client,
    /// The provider failed, refused or could not be reached.
    Upstream,
    /// Hub itself failed.
    Gateway,
}

/// An error from translating a call or from the provider that served it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The request cannot be served as sent; retrying it unchanged will not help.
    #[error("{message}")]
    InvalidRequest {
        message: String,
        param: Option<String>,
    },

    /// The provider answered with an error status.
    #[error("{provider}: upstream answered {status}: {}", .body.error.message)]
    UpstreamStatus {
        provider: String,
        status: u16,
        body: Box<ErrorBody>,
        retry_after: Option<Duration>,
    },

    /// The provider reported an error inside a successful response, such as an error
    /// event in the middle of a stream.
    #[error("{provider}: {}", .body.error.message)]
    UpstreamReported {
        provider: String,
        body: Box<ErrorBody>,
    },

    /// The provider could not be reached, or the connection broke before an answer.
    #[error("{provider}: upstream unreachable: {message}")]
    UpstreamUnreachable { provider: String, message: String },

    /// The provider did not answer in time.
    #[error("{provider}: upstream timed out after {} ms", .after.as_millis())]
    UpstreamTimeout { provider: String, after: Duration },

    /// The provider answered with something that is not its API's format.
    #[error("{provider}: upstream sent a malformed response: {message}")]
    UpstreamProtocol { provider: String, message: String },

    /// Hub failed on its own side.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// An [`Error::InvalidRequest`] without a param.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Error::InvalidRequest {
            message: message.into(),
            param: None,
        }
    }

    /// Whose fault the error is.
    pub fn origin(&self) -> Origin {
        match self {
            Error::InvalidRequest { .. } => Origin::Client,
            Error::UpstreamStatus { status, .. } if is_client_status(*status) => Origin::Client,
            Error::UpstreamStatus { .. }
            | Error::UpstreamReported { .. }
            | Error::UpstreamUnreachable { .. }
            | Error::UpstreamTimeout { .. }
            | Error::UpstreamProtocol { .. } => Origin::Upstream,
            Error::Internal(_) => Origin::Gateway,
        }
    }

    /// Whether sending the same request again, here or to another model, may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::UpstreamStatus { status, .. } => {
                matches!(status, 408 | 409 | 429) || *status >= 500
            }
            Error::UpstreamUnreachable { .. } | Error::UpstreamTimeout { .. } => true,
            Error::InvalidRequest { .. }
            | Error::UpstreamReported { .. }
            | Error::UpstreamProtocol { .. }
            | Error::Internal(_) => false,
        }
    }

    /// The HTTP status the client receives.
    ///
    /// A provider's own status is kept where it tells the client something true about its
    /// request (bad request, not found, too large, rate limited). A provider that refuses
    /// Hub's credentials or fails on its side is a bad gateway to the client: the client's
    /// credentials were never in question.
    pub fn status(&self) -> u16 {
        match self {
            Error::InvalidRequest { .. } => 400,
            Error::UpstreamStatus { status, .. } if is_client_status(*status) => *status,
            Error::UpstreamStatus { status: 408, .. } | Error::UpstreamTimeout { .. } => 504,
            Error::UpstreamStatus { .. }
            | Error::UpstreamReported { .. }
            | Error::UpstreamUnreachable { .. }
            | Error::UpstreamProtocol { .. } => 502,
            Error::Internal(_) => 500,
        }
    }

    /// The error as a log line or span may tell it while content tracing is off: without the
    /// message a provider wrote, which may quote the prompt it refused. What stays says
    /// which provider failed and how (status, error type and code).
    pub fn without_content(&self) -> WithoutContent<'_> {
        WithoutContent(self)
    }

    /// OpenAI's error body for this error.
    pub fn to_body(&self) -> ErrorBody {
        match self {
            Error::InvalidRequest { message, param } => ErrorBody {
                error: ErrorDetail {
                    message: message.clone(),
                    kind: "invalid_request_error".to_owned(),
                    param: param.clone(),
                    code: None,
                },
            },
            Error::UpstreamStatus { status, body, .. } if is_client_status(*status) => {
                ErrorBody::clone(body)
            }
            Error::UpstreamStatus { body: upstream, .. }
            | Error::UpstreamReported { body: upstream, .. } => {
                let code = upstream.error.code.as_deref().unwrap_or("upstream_error");
                ErrorBody::new("upstream_error", self.to_string()).with_code(code)
            }
            Error::UpstreamUnreachable { .. } | Error::UpstreamProtocol { .. } => {
                ErrorBody::new("upstream_error", self.to_string()).with_code("upstream_error")
            }
            Error::UpstreamTimeout { .. } => {
                ErrorBody::new("timeout_error", self.to_string()).with_code("upstream_timeout")
            }
            Error::Internal(_) => ErrorBody::new("server_error", self.to_string()),
        }
    }
}

/// An [`Error`] displayed without what its provider wrote: see [`Error::without_content`].
#[derive(Debug, Clone, Copy)]
pub struct WithoutContent<'a>(&'a Error);

impl fmt::Display for WithoutContent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = match self.0 {
            Error::UpstreamStatus {
                provider,
                status,
                body,
                ..
            } => {
                write!(f, "{provider}: upstream answered {status}")?;
                body
            }
            Error::UpstreamReported { provider, body } => {
                write!(f, "{provider}: upstream reported an error")?;
                body
            }
            other => return fmt::Display::fmt(other, f),
        };
        match &body.error.code {
            Some(code) => write!(f, " ({}, {code})", body.error.kind),
            None => write!(f, " ({})", body.error.kind),
        }
    }
}

/// Upstream statuses that describe the client's request rather than the upstream's health.
fn is_client_status(status: u16) -> bool {
    matches!(status, 400 | 404 | 409 | 413 | 415 | 422 | 429)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(status: u16) -> Error {
        Error::UpstreamStatus {
            provider: "openai".to_owned(),
            status,
            body: Box::new(
                ErrorBody::new("invalid_request_error", "nope").with_code("model_not_found"),
            ),
            retry_after: None,
        }
    }

    #[test]
    fn without_content_leaves_out_what_the_provider_wrote() {
        let refused = Error::UpstreamStatus {
            provider: "anthropic".to_owned(),
            status: 400,
            body: Box::new(ErrorBody::new(
                "invalid_request_error",
                "messages.0: 'my secret plan' is not allowed",
            )),
            retry_after: None,
        };
        assert_eq!(
            refused.without_content().to_string(),
            "anthropic: upstream answered 400 (invalid_request_error)"
        );
        let reported = Error::UpstreamReported {
            provider: "openai".to_owned(),
            body: Box::new(ErrorBody::new("server_error", "'my secret plan'").with_code("boom")),
        };
        assert_eq!(
            reported.without_content().to_string(),
            "openai: upstream reported an error (server_error, boom)"
        );
        assert_eq!(
            upstream(404).without_content().to_string(),
            "openai: upstream answered 404 (invalid_request_error, model_not_found)"
        );
        let timeout = Error::UpstreamTimeout {
            provider: "openai".to_owned(),
            after: Duration::from_millis(300),
        };
        assert_eq!(timeout.without_content().to_string(), timeout.to_string());
    }

    #[test]
    fn client_faults_keep_the_upstream_status_and_body() {
        let error = upstream(404);
        assert_eq!(error.status(), 404);
        assert_eq!(error.origin(), Origin::Client);
        assert_eq!(
            error.to_body().error.code.as_deref(),
            Some("model_not_found")
        );
    }

    #[test]
    fn upstream_auth_failure_is_a_bad_gateway_naming_the_provider() {
        let error = upstream(401);
        assert_eq!(error.status(), 502);
        assert!(
            error
                .to_body()
                .error
                .message
                .starts_with("openai: upstream answered 401")
        );
        assert!(!error.is_retryable());
    }

    #[test]
    fn overload_and_rate_limits_may_be_retried() {
        assert!(upstream(429).is_retryable());
        assert!(upstream(529).is_retryable());
        assert!(!upstream(400).is_retryable());
    }

    #[test]
    fn error_body_writes_null_param_and_code() {
        let text = serde_json::to_string(&ErrorBody::new("server_error", "boom")).unwrap();
        assert_eq!(
            text,
            r#"{"error":{"message":"boom","type":"server_error","param":null,"code":null}}"#
        );
    }

    #[test]
    fn numeric_codes_read_as_text() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":{"message":"m","type":"t","code":429}}"#).unwrap();
        assert_eq!(body.error.code.as_deref(), Some("429"));
    }
}
