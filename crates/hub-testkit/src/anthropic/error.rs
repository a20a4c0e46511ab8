//! Rejections in Anthropic's shape: `{"type":"error","error":{"type","message"},"request_id"}`
//! with the status its error type goes with (PROTOCOLS.md 2.5).

use http::header::HeaderValue;
use http::{Response, StatusCode};
use serde::Serialize;
use serde_json::json;

use crate::body::{self, MockBody};

/// One rejection: the status, Anthropic's error type and its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {kind}: {message}")]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) kind: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    /// `400 invalid_request_error`.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            message: message.into(),
        }
    }

    /// `401 authentication_error`.
    pub(crate) fn authentication(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            kind: "authentication_error",
            message: message.into(),
        }
    }

    /// `404 not_found_error`.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            kind: "not_found_error",
            message: message.into(),
        }
    }

    /// `413 request_too_large`.
    pub(crate) fn too_large(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            kind: "request_too_large",
            message: message.into(),
        }
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The response, tagged with the request's id as Anthropic tags every answer.
    pub(crate) fn into_response(self, request_id: &str) -> Response<MockBody> {
        let mut response = body::json(
            self.status,
            &error_body(self.kind, &self.message, request_id),
        );
        set_request_id(&mut response, request_id);
        response
    }
}

/// The error object, for a response body or an `error` event.
pub(crate) fn error_body(kind: &str, message: &str, request_id: &str) -> impl Serialize {
    json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": request_id
    })
}

pub(crate) fn set_request_id<B>(response: &mut Response<B>, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("request-id", value);
    }
}
