//! Google's error format, `{"error": {"code", "message", "status"}}`, as Vertex AI sends it.

use http::{Response, StatusCode};
use serde_json::json;

use crate::body::{self, MockBody};

/// One refusal: the HTTP status, the canonical status name and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GoogleError {
    status: StatusCode,
    canonical: &'static str,
    message: String,
}

impl GoogleError {
    fn new(status: StatusCode, canonical: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            canonical,
            message: message.into(),
        }
    }

    pub(super) fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
    }

    pub(super) fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message)
    }

    pub(super) fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "PERMISSION_DENIED", message)
    }

    pub(super) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    /// A field the API does not know, worded as Google's JSON parser words it.
    pub(super) fn unknown_field(name: &str, at: &str) -> Self {
        let place = if at.is_empty() {
            String::new()
        } else {
            format!(" at '{at}'")
        };
        Self::invalid_argument(format!(
            "Invalid JSON payload received. Unknown name \"{name}\"{place}: Cannot find field."
        ))
    }

    /// A field whose value has the wrong type or is out of range.
    pub(super) fn invalid_value(at: &str, why: &str) -> Self {
        Self::invalid_argument(format!("Invalid value at '{at}': {why}"))
    }

    /// A required field that is missing.
    pub(super) fn missing(at: &str) -> Self {
        Self::invalid_argument(format!("{at} is required but missing."))
    }

    /// The message, for unit tests that check why a request was refused.
    #[cfg(test)]
    pub(super) fn message(&self) -> &str {
        &self.message
    }

    pub(super) fn into_response(self) -> Response<MockBody> {
        let body = json!({"error": {
            "code": self.status.as_u16(),
            "message": self.message,
            "status": self.canonical,
        }});
        body::json(self.status, &body)
    }
}
