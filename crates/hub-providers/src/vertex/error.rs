//! Google's error format (`google.rpc.Status` as JSON) read into OpenAI's.
//!
//! `{"error": {"code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED"}}` keeps its
//! message; the canonical status, lower-cased, becomes the `code` (`resource_exhausted`), and
//! the HTTP status decides OpenAI's `type`.

use http::StatusCode;
use hub_core::ErrorBody;
use serde::Deserialize;

use crate::upstream::{error_type, unparsed_error_body};

/// `{"error": Status}`. Streams without `alt=sse` wrap it in a list, so both are read; the
/// list comes first, as serde would also read a struct from a one-item list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Envelope {
    List([Wrapped; 1]),
    One(Wrapped),
}

#[derive(Debug, Deserialize)]
struct Wrapped {
    error: GoogleError,
}

/// `google.rpc.Status`; `details` is not needed.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct GoogleError {
    #[serde(default)]
    code: Option<u16>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// OpenAI's error body for an error status from Vertex AI.
pub(crate) fn error_body(status: StatusCode, body: &[u8]) -> ErrorBody {
    match serde_json::from_slice::<Envelope>(body) {
        Ok(Envelope::One(wrapped) | Envelope::List([wrapped])) => {
            to_openai(&wrapped.error, Some(status))
        }
        Err(_) => unparsed_error_body(status, body),
    }
}

/// OpenAI's error body for Google's, under `status` when the HTTP status is known, else the
/// one the error names.
pub(super) fn to_openai(error: &GoogleError, status: Option<StatusCode>) -> ErrorBody {
    let status = status
        .or_else(|| error.code.and_then(|code| StatusCode::from_u16(code).ok()))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = error
        .message
        .clone()
        .unwrap_or_else(|| format!("upstream answered {status}"));

    let body = ErrorBody::new(error_type(status), message);
    match &error.status {
        Some(canonical) => body.with_code(canonical.to_ascii_lowercase()),
        None => body,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn read(status: u16, body: &Value) -> Value {
        let status = StatusCode::from_u16(status).unwrap();
        serde_json::to_value(error_body(status, body.to_string().as_bytes())).unwrap()
    }

    #[test]
    fn google_errors_keep_their_message_and_name_their_status() {
        let body = json!({"error": {"code": 429, "message": "Resource exhausted. Please try \
            again later.", "status": "RESOURCE_EXHAUSTED", "details": []}});

        assert_eq!(
            read(429, &body),
            json!({"error": {"message": "Resource exhausted. Please try again later.",
                "type": "rate_limit_error", "param": null, "code": "resource_exhausted"}})
        );
    }

    #[test]
    fn each_status_gets_openais_type() {
        let cases = [
            (400, "INVALID_ARGUMENT", "invalid_request_error"),
            (401, "UNAUTHENTICATED", "authentication_error"),
            (403, "PERMISSION_DENIED", "permission_error"),
            (404, "NOT_FOUND", "invalid_request_error"),
            (500, "INTERNAL", "server_error"),
            (503, "UNAVAILABLE", "server_error"),
        ];
        for (status, canonical, kind) in cases {
            let body = json!({"error": {"code": status, "message": "m", "status": canonical}});
            assert_eq!(read(status, &body)["error"]["type"], kind, "{canonical}");
        }
    }

    #[test]
    fn a_listed_error_and_a_foreign_body_are_read() {
        let listed =
            json!([{"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}]);
        assert_eq!(read(400, &listed)["error"]["code"], "invalid_argument");

        let html = error_body(StatusCode::BAD_GATEWAY, b"<html>oops</html>");
        assert_eq!(
            html.error.message,
            "upstream answered 502 Bad Gateway: <html>oops</html>"
        );
    }
}
