//! Each Bedrock exception against the status, type and code an OpenAI client receives.

use http::HeaderValue;

use super::*;

fn answered(status: u16, name: &str, message: &str) -> Error {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-amzn-errortype",
        HeaderValue::from_str(&format!(
            "{name}:http://internal.amazon.com/coral/com.amazon.bedrock/"
        ))
        .unwrap(),
    );
    let body = serde_json::json!({ "message": message }).to_string();
    from_response(
        "aws",
        StatusCode::from_u16(status).unwrap(),
        &headers,
        body.as_bytes(),
    )
}

#[test]
fn each_exception_maps_to_a_fitting_status_and_code() {
    // (exception, Bedrock's status, client's status, OpenAI type, OpenAI code)
    let cases = [
        (
            "ValidationException",
            400,
            400,
            "invalid_request_error",
            "ValidationException",
        ),
        (
            "ServiceQuotaExceededException",
            400,
            429,
            "rate_limit_error",
            "insufficient_quota",
        ),
        (
            "AccessDeniedException",
            403,
            502,
            "upstream_error",
            "AccessDeniedException",
        ),
        (
            "ResourceNotFoundException",
            404,
            404,
            "invalid_request_error",
            "model_not_found",
        ),
        (
            "ModelTimeoutException",
            408,
            504,
            "upstream_error",
            "timeout",
        ),
        (
            "ThrottlingException",
            429,
            429,
            "rate_limit_error",
            "rate_limit_exceeded",
        ),
        (
            "ModelNotReadyException",
            429,
            429,
            "rate_limit_error",
            "model_not_ready",
        ),
        (
            "ModelErrorException",
            424,
            502,
            "upstream_error",
            "ModelErrorException",
        ),
        (
            "InternalServerException",
            500,
            502,
            "upstream_error",
            "InternalServerException",
        ),
        (
            "ServiceUnavailableException",
            503,
            502,
            "upstream_error",
            "ServiceUnavailableException",
        ),
    ];

    for (name, bedrock, client, kind, code) in cases {
        let error = answered(bedrock, name, "went wrong");
        let body = error.to_body();
        assert_eq!(error.status(), client, "{name}");
        assert_eq!(body.error.code.as_deref(), Some(code), "{name}");
        if client < 500 {
            assert_eq!(body.error.kind, kind, "{name}");
        }
        assert!(
            body.error.message.starts_with("aws: "),
            "{name}: {}",
            body.error.message
        );
        assert!(
            body.error.message.contains(&format!("{name}: went wrong")),
            "{name}"
        );
    }
}

#[test]
fn throttling_and_unavailability_may_be_retried_but_validation_not() {
    assert!(answered(429, "ThrottlingException", "x").is_retryable());
    assert!(answered(429, "ModelNotReadyException", "x").is_retryable());
    assert!(answered(503, "ServiceUnavailableException", "x").is_retryable());
    assert!(!answered(400, "ValidationException", "x").is_retryable());
}

#[test]
fn the_name_is_found_in_the_body_when_the_header_is_missing() {
    let body = br#"{"__type":"com.amazon.coral.service#ThrottlingException","Message":"slow"}"#;
    let error = from_response(
        "aws",
        StatusCode::TOO_MANY_REQUESTS,
        &HeaderMap::new(),
        body,
    );
    assert_eq!(
        error.to_body().error.message,
        "aws: ThrottlingException: slow"
    );
}

#[test]
fn a_body_that_is_not_json_is_quoted() {
    let error = from_response(
        "aws",
        StatusCode::BAD_GATEWAY,
        &HeaderMap::new(),
        b"<html>oops",
    );
    assert_eq!(error.status(), 502);
    assert!(error.to_body().error.message.contains("<html>oops"));
}

#[test]
fn an_exception_before_any_event_is_an_error_status() {
    let error = from_first_frame("aws", "throttlingException", br#"{"message":"slow down"}"#);
    assert_eq!(error.status(), 429);
    assert_eq!(
        error.to_body().error.message,
        "aws: ThrottlingException: slow down"
    );
}

#[test]
fn an_exception_mid_stream_is_a_reported_error_naming_the_provider() {
    let error = from_stream_frame(
        "aws",
        "modelStreamErrorException",
        br#"{"message":"model failed","originalStatusCode":500}"#,
    );
    let body = error.to_body();
    assert_eq!(body.error.kind, "upstream_error");
    assert_eq!(
        body.error.message,
        "aws: ModelStreamErrorException: model failed"
    );
    assert_eq!(
        body.error.code.as_deref(),
        Some("ModelStreamErrorException")
    );
}
