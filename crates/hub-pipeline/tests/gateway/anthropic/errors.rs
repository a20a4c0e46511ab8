//! Anthropic's error statuses as the client reads them: OpenAI's error body, a fitting
//! status, Anthropic's message kept, and `retry-after` passed on.

use http::StatusCode;
use hub_testkit::Fault;
use serde_json::{Value, json};

use super::harness::Claude;

fn chat() -> Value {
    json!({"model": "claude", "messages": [{"role": "user", "content": "x"}]})
}

fn anthropic_error(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message},
           "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"})
}

/// The gateway's answer when Anthropic answers `status` with an error of `kind`.
async fn answer_to(
    status: u16,
    kind: &str,
    message: &str,
    retry_after: Option<u64>,
) -> (StatusCode, Option<String>, Value) {
    let claude = Claude::start().await;
    claude.mock.set_fault(Some(Fault::Status {
        status,
        body: anthropic_error(kind, message),
        retry_after,
    }));

    let reply = claude.chat(&chat()).await;
    claude.stop().await;
    let retry = reply
        .headers
        .get("retry-after")
        .map(|value| value.to_str().expect("ASCII").to_owned());
    (reply.status, retry, reply.error())
}

#[tokio::test]
async fn each_anthropic_status_maps_to_a_fitting_one_keeping_the_message() {
    let cases = [
        (400, "invalid_request_error", 400, "invalid_request_error"),
        (403, "permission_error", 502, "upstream_error"),
        (404, "not_found_error", 404, "invalid_request_error"),
        (413, "request_too_large", 413, "invalid_request_error"),
        (500, "api_error", 502, "upstream_error"),
        (529, "overloaded_error", 502, "upstream_error"),
    ];
    for (status, kind, expected_status, expected_kind) in cases {
        let (answered, _, error) = answer_to(status, kind, "what Anthropic said", None).await;

        assert_eq!(answered.as_u16(), expected_status, "{status}");
        assert_eq!(error["type"], expected_kind, "{status}");
        assert_eq!(error["code"], kind, "{status}");
        let message = error["message"].as_str().expect("a message");
        assert!(message.starts_with("anthropic: "), "{status}: {message}");
        assert!(
            message.ends_with("what Anthropic said"),
            "{status}: {message}"
        );
    }
}

#[tokio::test]
async fn an_overload_is_a_retryable_502_with_anthropics_message() {
    let (status, retry_after, error) =
        answer_to(529, "overloaded_error", "Overloaded", Some(2)).await;

    assert_eq!(status, StatusCode::BAD_GATEWAY, "5xx, which clients retry");
    assert_eq!(
        retry_after.as_deref(),
        Some("2"),
        "and when to, as Anthropic said"
    );
    assert_eq!(
        error["message"],
        "anthropic: upstream answered 529: Overloaded"
    );
    assert_eq!(error["code"], "overloaded_error");
}

#[tokio::test]
async fn a_rate_limit_keeps_its_status_and_retry_after() {
    let (status, retry_after, error) = answer_to(
        429,
        "rate_limit_error",
        "Number of requests has exceeded your rate limit",
        Some(7),
    )
    .await;

    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after.as_deref(), Some("7"));
    assert_eq!(error["type"], "rate_limit_error");
    assert_eq!(
        error["message"],
        "anthropic: Number of requests has exceeded your rate limit"
    );
}

#[tokio::test]
async fn a_refused_key_is_a_502_that_does_not_echo_it() {
    let claude = Claude::start_with(|config| {
        config["providers"][0]["api_key"] = json!("sk-ant-wrong");
    })
    .await;

    let reply = claude.chat(&chat()).await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    let error = reply.error();
    assert_eq!(
        error["message"],
        "anthropic: upstream answered 401: invalid x-api-key"
    );
    assert_eq!(error["code"], "authentication_error");
    assert!(!String::from_utf8_lossy(&reply.body).contains("sk-ant-wrong"));
    claude.stop().await;
}

#[tokio::test]
async fn a_model_anthropic_does_not_know_is_a_404() {
    let claude = Claude::start_with(|config| {
        config["models"][0]["type"] = json!("claude-9");
    })
    .await;

    let reply = claude.chat(&chat()).await;

    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error()["message"], "anthropic: model: claude-9");
    claude.stop().await;
}

#[tokio::test]
async fn an_error_status_on_a_stream_is_an_error_response() {
    let claude = Claude::start().await;
    claude.mock.set_fault(Some(Fault::Status {
        status: 529,
        body: anthropic_error("overloaded_error", "Overloaded"),
        retry_after: None,
    }));
    let mut request = chat();
    request["stream"] = json!(true);

    let reply = claude.chat(&request).await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert!(
        reply.error()["message"]
            .as_str()
            .expect("a message")
            .contains("Overloaded")
    );
    claude.stop().await;
}

#[tokio::test]
async fn an_answer_that_is_not_a_message_is_a_502() {
    let claude = Claude::start().await;
    claude.mock.set_fault(Some(Fault::InvalidJson));

    let reply = claude.chat(&chat()).await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    let message = reply.error()["message"].clone();
    assert!(
        message
            .as_str()
            .is_some_and(|text| text.starts_with("anthropic: upstream sent a malformed response")),
        "{message}"
    );
    claude.stop().await;
}

#[tokio::test]
async fn a_stalled_anthropic_is_a_504() {
    let claude = Claude::start_with(|config| {
        config["providers"][0]["timeout_ms"] = json!(300);
    })
    .await;
    claude.mock.set_fault(Some(Fault::Stall));

    let reply = claude.chat(&chat()).await;

    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(reply.error()["code"], "upstream_timeout");
    claude.stop().await;
}
