//! Bedrock's errors as an OpenAI client sees them: refusals before any call, exceptions by
//! status, a refused signature, and streams that break.

use http::StatusCode;
use hub_testkit::{BedrockFault, BedrockMockConfig};
use serde_json::{Value, json};

use super::harness::{BedrockHarness, chat};

fn message(error: &Value) -> &str {
    error["message"].as_str().expect("a message")
}

#[tokio::test]
async fn parameters_converse_cannot_honour_are_refused_by_name() {
    let hub = BedrockHarness::start().await;
    for (field, value) in [
        ("n", json!(2)),
        ("seed", json!(7)),
        ("logprobs", json!(true)),
        ("temperature", json!(1.5)),
        ("frequency_penalty", json!(0.5)),
    ] {
        let mut request = chat("nova", "x");
        request[field] = value;
        let reply = hub.post("/v1/chat/completions", &request).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{field}");
        let error = reply.error();
        assert_eq!(error["param"], field);
        assert_eq!(error["type"], "invalid_request_error");
    }
    assert!(hub.mock.requests().is_empty(), "nothing reached Bedrock");
    hub.stop().await;
}

#[tokio::test]
async fn exceptions_map_to_openai_statuses() {
    let hub = BedrockHarness::start().await;
    let cases = [
        ("ValidationException", 400, "ValidationException"),
        ("ResourceNotFoundException", 404, "model_not_found"),
        ("ThrottlingException", 429, "rate_limit_exceeded"),
        ("ModelNotReadyException", 429, "model_not_ready"),
        ("AccessDeniedException", 502, "AccessDeniedException"),
        (
            "ServiceUnavailableException",
            502,
            "ServiceUnavailableException",
        ),
        ("ModelTimeoutException", 504, "timeout"),
    ];
    for (name, status, code) in cases {
        hub.mock.set_fault(Some(BedrockFault::Exception {
            name: name.to_owned(),
            message: "went wrong".to_owned(),
        }));
        let reply = hub.post("/v1/chat/completions", &chat("nova", "x")).await;
        assert_eq!(reply.status.as_u16(), status, "{name}");
        let error = reply.error();
        assert_eq!(error["code"], code, "{name}");
        assert!(message(&error).starts_with("aws: "), "{name}: {error}");
        assert!(
            message(&error).contains(&format!("{name}: went wrong")),
            "{error}"
        );
    }
    hub.stop().await;
}

#[tokio::test]
async fn bedrocks_own_validation_reaches_the_client() {
    let hub = BedrockHarness::start().await;
    let request = json!({"model": "nova", "messages": [{"role": "assistant", "content": "hi"}]});

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(message(&reply.error()).contains("must start with a user message"));
    hub.stop().await;
}

#[tokio::test]
async fn a_refused_signature_is_a_bad_gateway_that_keeps_the_secret() {
    let hub = BedrockHarness::start_with(BedrockMockConfig::default(), |config| {
        config["providers"][0]["aws_secret_access_key"] = json!("not-the-secret");
    })
    .await;

    let reply = hub.post("/v1/chat/completions", &chat("nova", "x")).await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    let error = reply.error();
    assert!(
        message(&error).starts_with("aws: upstream answered 403"),
        "{error}"
    );
    assert!(
        message(&error).contains("InvalidSignatureException"),
        "{error}"
    );
    assert!(!reply.body.windows(14).any(|w| w == b"not-the-secret"));
    hub.stop().await;
}

#[tokio::test]
async fn an_exception_mid_stream_ends_it_with_an_error_event() {
    let hub = BedrockHarness::start().await;
    hub.mock.set_fault(Some(BedrockFault::StreamException {
        after_events: 3,
        exception_type: "modelStreamErrorException".to_owned(),
        message: "the model broke".to_owned(),
    }));
    let mut request = chat("nova", "one two three four");
    request["stream"] = json!(true);

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(
        reply.status,
        StatusCode::OK,
        "the head went before the exception"
    );
    let events = reply.events();
    assert!(!events.contains(&"[DONE]".to_owned()));
    let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
    assert_eq!(
        message(&last["error"]),
        "aws: ModelStreamErrorException: the model broke"
    );
    hub.stop().await;
}

#[tokio::test]
async fn an_exception_before_any_event_is_an_error_status() {
    let hub = BedrockHarness::start().await;
    hub.mock.set_fault(Some(BedrockFault::StreamException {
        after_events: 0,
        exception_type: "throttlingException".to_owned(),
        message: "Too many requests".to_owned(),
    }));
    let mut request = chat("nova", "x");
    request["stream"] = json!(true);

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.error()["code"], "rate_limit_exceeded");
    hub.stop().await;
}

#[tokio::test]
async fn broken_streams_end_with_an_error_event() {
    let hub = BedrockHarness::start().await;
    let faults = [
        (
            BedrockFault::CorruptFrame { index: 2 },
            "malformed response",
        ),
        (
            BedrockFault::TruncateStream { after_events: 2 },
            "upstream unreachable",
        ),
    ];
    for (fault, expected) in faults {
        hub.mock.set_fault(Some(fault.clone()));
        let mut request = chat("nova", "one two three four");
        request["stream"] = json!(true);

        let reply = hub.post("/v1/chat/completions", &request).await;

        let events = reply.events();
        assert!(!events.contains(&"[DONE]".to_owned()), "{fault:?}");
        let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
        let text = message(&last["error"]);
        assert!(
            text.starts_with("aws: ") && text.contains(expected),
            "{fault:?}: {text}"
        );
    }
    hub.stop().await;
}

#[tokio::test]
async fn a_stalled_upstream_is_a_504() {
    let hub = BedrockHarness::start_with(BedrockMockConfig::default(), |config| {
        config["providers"][0]["timeout_ms"] = json!(300);
    })
    .await;
    hub.mock.set_fault(Some(BedrockFault::Stall));

    let reply = hub.post("/v1/chat/completions", &chat("nova", "x")).await;

    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    assert!(message(&reply.error()).starts_with("aws: upstream timed out after 300 ms"));
    hub.stop().await;
}
