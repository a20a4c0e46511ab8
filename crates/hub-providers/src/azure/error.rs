//! Azure's error bodies, read into OpenAI's.
//!
//! Azure's errors are OpenAI-shaped but looser: `type` is often `null` or missing, `code` may
//! be a number in a string (`"401"`), and the content-filter refusal adds an `innererror` (an
//! `inner_error` in the spec) whose code is `ResponsibleAIPolicyViolation`. Whatever the
//! shape, the client gets OpenAI's four fields, Azure's message, and `content_filter` as the
//! code of a filtered prompt.

use http::StatusCode;
use hub_core::ErrorBody;
use serde::Deserialize;

use crate::upstream::{error_type, unparsed_error_body};

/// The inner code of a refusal by Azure's content filters.
const POLICY_VIOLATION: &str = "ResponsibleAIPolicyViolation";

#[derive(Deserialize)]
struct Envelope {
    error: AzureError,
}

#[derive(Deserialize)]
struct AzureError {
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    param: Option<String>,
    code: Option<serde_json::Value>,
    #[serde(alias = "inner_error")]
    innererror: Option<InnerError>,
}

#[derive(Deserialize)]
struct InnerError {
    code: Option<String>,
}

/// OpenAI's error body for an error status from Azure.
pub(super) fn error_body(status: StatusCode, body: &[u8]) -> ErrorBody {
    let Ok(Envelope { error }) = serde_json::from_slice::<Envelope>(body) else {
        return unparsed_error_body(status, body);
    };

    let filtered = error
        .innererror
        .as_ref()
        .and_then(|inner| inner.code.as_deref())
        == Some(POLICY_VIOLATION);
    let code = if filtered {
        Some("content_filter".to_owned())
    } else {
        error.code.as_ref().and_then(code_text)
    };

    let message = error
        .message
        .unwrap_or_else(|| format!("upstream answered {status}"));
    let kind = error.kind.unwrap_or_else(|| error_type(status).to_owned());
    let mut body = ErrorBody::new(kind, message);
    body.error.param = error.param;
    body.error.code = code;
    body
}

/// A code as text, whether Azure sent a string or a number.
fn code_text(code: &serde_json::Value) -> Option<String> {
    match code {
        serde_json::Value::String(code) => Some(code.clone()),
        serde_json::Value::Number(code) => Some(code.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn read(status: u16, body: &Value) -> ErrorBody {
        let status = StatusCode::from_u16(status).unwrap();
        error_body(status, body.to_string().as_bytes())
    }

    #[test]
    fn a_filtered_prompt_is_a_content_filter_error_with_azures_message() {
        let body = json!({"error": {
            "message": "The response was filtered due to the prompt triggering Azure OpenAI's \
                        content management policy.",
            "type": null, "param": "prompt", "code": "content_filter", "status": 400,
            "innererror": {"code": "ResponsibleAIPolicyViolation",
                "content_filter_result": {"violence": {"filtered": true, "severity": "medium"}}}}});

        let read = read(400, &body);

        assert_eq!(
            serde_json::to_value(&read).unwrap(),
            json!({"error": {
                "message": "The response was filtered due to the prompt triggering Azure \
                            OpenAI's content management policy.",
                "type": "invalid_request_error", "param": "prompt", "code": "content_filter"}})
        );
    }

    #[test]
    fn the_specs_inner_error_spelling_is_read_too() {
        let body = json!({"error": {"message": "filtered", "code": "400",
            "inner_error": {"code": "ResponsibleAIPolicyViolation"}}});

        assert_eq!(
            read(400, &body).error.code.as_deref(),
            Some("content_filter")
        );
    }

    #[test]
    fn codes_without_a_type_get_one_from_the_status() {
        let body = json!({"error": {"code": "401", "message": "Access denied due to invalid \
            subscription key or wrong API endpoint."}});

        let read = read(401, &body);

        assert_eq!(read.error.kind, "authentication_error");
        assert_eq!(read.error.code.as_deref(), Some("401"));
        assert!(read.error.message.starts_with("Access denied"));
    }

    #[test]
    fn numeric_codes_and_foreign_bodies_still_read() {
        let numeric = json!({"error": {"code": 429, "message": "Rate limit is exceeded."}});
        assert_eq!(read(429, &numeric).error.code.as_deref(), Some("429"));
        assert_eq!(read(429, &numeric).error.kind, "rate_limit_error");

        let html = error_body(StatusCode::BAD_GATEWAY, b"<html>Bad Gateway</html>");
        assert_eq!(
            html.error.message,
            "upstream answered 502 Bad Gateway: <html>Bad Gateway</html>"
        );
    }
}
