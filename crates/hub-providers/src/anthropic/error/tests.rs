//! Error statuses and stream error events from Anthropic's reference (PROTOCOLS.md 2.5), and
//! what the client reads of them.

use serde_json::json;

use super::*;

fn upstream(status: u16, body: &serde_json::Value) -> Error {
    let status = StatusCode::from_u16(status).unwrap();
    status_error("claude", status, None, body.to_string().as_bytes())
}

fn anthropic(kind: &str, message: &str) -> serde_json::Value {
    json!({"type": "error", "error": {"type": kind, "message": message},
           "request_id": "req_018EeWyXxfu5pfWkrYcMdjWG"})
}

#[test]
fn a_bad_request_keeps_status_and_message_naming_the_provider() {
    let error = upstream(
        400,
        &anthropic("invalid_request_error", "max_tokens: Field required"),
    );

    assert_eq!(error.status(), 400);
    assert_eq!(
        serde_json::to_value(error.to_body()).unwrap(),
        json!({"error": {"message": "claude: max_tokens: Field required",
               "type": "invalid_request_error", "param": null,
               "code": "invalid_request_error"}})
    );
}

#[test]
fn each_status_maps_to_a_fitting_one() {
    let cases = [
        (400, "invalid_request_error", 400, "invalid_request_error"),
        (401, "authentication_error", 502, "upstream_error"),
        (403, "permission_error", 502, "upstream_error"),
        (404, "not_found_error", 404, "invalid_request_error"),
        (413, "request_too_large", 413, "invalid_request_error"),
        (429, "rate_limit_error", 429, "rate_limit_error"),
        (500, "api_error", 502, "upstream_error"),
        (529, "overloaded_error", 502, "upstream_error"),
    ];
    for (status, kind, expected_status, expected_kind) in cases {
        let error = upstream(status, &anthropic(kind, "the message"));
        let body = error.to_body();

        assert_eq!(error.status(), expected_status, "{status}");
        assert_eq!(body.error.kind, expected_kind, "{status}");
        assert_eq!(body.error.code.as_deref(), Some(kind), "{status}");
        assert!(
            body.error.message.starts_with("claude: "),
            "{status}: {body:?}"
        );
        assert!(
            body.error.message.ends_with("the message"),
            "{status}: {body:?}"
        );
    }
}

#[test]
fn overload_and_rate_limits_may_be_retried_and_requests_may_not() {
    assert!(upstream(529, &anthropic("overloaded_error", "Overloaded")).is_retryable());
    assert!(upstream(429, &anthropic("rate_limit_error", "slow down")).is_retryable());
    assert!(upstream(500, &anthropic("api_error", "boom")).is_retryable());
    assert!(!upstream(400, &anthropic("invalid_request_error", "bad")).is_retryable());
}

#[test]
fn an_overload_reads_as_anthropic_said_it() {
    let error = upstream(529, &anthropic("overloaded_error", "Overloaded"));

    assert_eq!(
        error.to_body().error.message,
        "claude: upstream answered 529: Overloaded"
    );
}

#[test]
fn a_body_that_is_not_anthropics_is_described() {
    let status = StatusCode::PAYLOAD_TOO_LARGE;
    let error = status_error(
        "claude",
        status,
        None,
        b"<html>413 Request Entity Too Large</html>",
    );
    let body = error.to_body();

    assert_eq!(error.status(), 413);
    assert_eq!(body.error.code.as_deref(), Some("request_too_large"));
    assert_eq!(
        body.error.message,
        "claude: upstream answered 413 Payload Too Large: \
         <html>413 Request Entity Too Large</html>"
    );
}

#[test]
fn a_stream_error_event_names_the_provider_and_keeps_the_type() {
    let detail = ErrorDetail {
        kind: "overloaded_error".to_owned(),
        message: "Overloaded".to_owned(),
    };
    let body = reported("claude", detail).to_body();

    assert_eq!(body.error.message, "claude: Overloaded");
    assert_eq!(body.error.code.as_deref(), Some("overloaded_error"));
}
