//! `hub_core::Error` as the status, body and `Retry-After` a client receives.

use std::time::Duration;

use embed_hub_core::errors::{error_reply, is_operational};
use hub_core::{Error, ErrorBody};
use serde_json::{Value, json};

fn body(reply: &[u8]) -> Value {
    serde_json::from_slice(reply).expect("the body is JSON")
}

fn upstream(status: u16, retry_after: Option<Duration>) -> Error {
    Error::UpstreamStatus {
        provider: "openai".to_owned(),
        status,
        body: Box::new(
            ErrorBody::new("rate_limit_error", "Slow down.").with_code("rate_limit_exceeded"),
        ),
        retry_after,
    }
}

#[test]
fn a_bad_request_is_a_400_naming_the_parameter() {
    let error = Error::InvalidRequest {
        message: "`n` must be 1.".to_owned(),
        param: Some("n".to_owned()),
    };
    let reply = error_reply(&error);

    assert_eq!(reply.status, 400);
    assert_eq!(
        body(&reply.body),
        json!({"error": {
            "message": "`n` must be 1.",
            "type": "invalid_request_error",
            "param": "n",
            "code": null
        }})
    );
    assert!(!is_operational(&error));
}

#[test]
fn a_rate_limit_keeps_its_status_body_and_wait_rounded_up() {
    let reply = error_reply(&upstream(429, Some(Duration::from_millis(1500))));

    assert_eq!(reply.status, 429);
    assert_eq!(reply.retry_after_seconds, Some(2));
    assert_eq!(body(&reply.body)["error"]["code"], "rate_limit_exceeded");
}

#[test]
fn a_provider_refusing_hubs_key_is_a_bad_gateway() {
    let error = upstream(401, None);
    let reply = error_reply(&error);

    assert_eq!(reply.status, 502);
    assert_eq!(reply.retry_after_seconds, None);
    assert_eq!(body(&reply.body)["error"]["type"], "upstream_error");
    assert!(is_operational(&error));
}

#[test]
fn a_timeout_is_a_gateway_timeout() {
    let error = Error::UpstreamTimeout {
        provider: "bedrock".to_owned(),
        after: Duration::from_secs(30),
    };
    let reply = error_reply(&error);

    assert_eq!(reply.status, 504);
    assert_eq!(body(&reply.body)["error"]["code"], "upstream_timeout");
}
