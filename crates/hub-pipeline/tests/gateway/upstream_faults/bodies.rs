//! Whole answers that are not what the API promises: HTML instead of JSON, a body far past
//! the limit, a body that trickles, an error object under a `200`. Each is an OpenAI error
//! response with a fitting status, for every provider type.

use std::time::Duration;

use http::StatusCode;
use hub_testkit::{AnthropicConfig, Fault, MockConfig};
use serde_json::json;

use super::upstreams::{Misbehaviour, PROVIDERS, Upstream, message};
use crate::anthropic::harness::Claude;
use crate::common::{Harness, chat};

#[tokio::test]
async fn an_html_page_with_a_5xx_is_a_502_naming_the_status() {
    for provider in PROVIDERS {
        let upstream = Upstream::start(provider, Duration::ZERO, |_| {}).await;
        upstream.set(Misbehaviour::NotJson(503));

        let reply = upstream.chat(false).await;

        assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{provider:?}");
        let text = message(&reply.error()).to_owned();
        assert!(text.starts_with(upstream.name()), "{text}");
        assert!(text.contains("503"), "{provider:?}: {text}");
        upstream.settles(1).await;
        upstream.stop().await;
    }
}

#[tokio::test]
async fn an_html_page_with_a_200_is_a_502() {
    for provider in PROVIDERS {
        let upstream = Upstream::start(provider, Duration::ZERO, |_| {}).await;
        upstream.set(Misbehaviour::NotJson(200));

        let reply = upstream.chat(false).await;

        assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{provider:?}");
        let text = message(&reply.error()).to_owned();
        assert!(
            text.starts_with(&format!(
                "{}: upstream sent a malformed response",
                upstream.name()
            )),
            "{text}"
        );
        upstream.settles(1).await;
        upstream.stop().await;
    }
}

/// 64 MiB offered, 1 MiB allowed: reading stops at the limit and the connection is dropped
/// rather than drained.
#[tokio::test]
async fn an_enormous_answer_is_a_502_and_is_not_read_past_the_limit() {
    for provider in PROVIDERS {
        let upstream = Upstream::start(provider, Duration::ZERO, |config| {
            config["general"] = json!({"max_upstream_response_bytes": 1_048_576});
        })
        .await;
        upstream.set(Misbehaviour::Oversized(64 * 1024 * 1024));

        let reply = upstream.chat(false).await;

        assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{provider:?}");
        assert_eq!(
            message(&reply.error()),
            format!(
                "{}: upstream sent a malformed response: \
                 response body is larger than 1048576 bytes",
                upstream.name()
            )
        );
        upstream.settles(0).await;
        upstream.stop().await;
    }
}

/// A body arriving 16 KiB every 20 ms never goes quiet, and never reaches the size limit
/// in time: the call's own deadline ends it.
#[tokio::test]
async fn an_answer_that_trickles_is_a_504_at_the_call_deadline() {
    for provider in PROVIDERS {
        let upstream = Upstream::start(provider, Duration::from_millis(20), |config| {
            config["providers"][0]["timeout_ms"] = json!(500);
        })
        .await;
        upstream.set(Misbehaviour::Oversized(64 * 1024 * 1024));

        let reply = upstream.chat(false).await;

        assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT, "{provider:?}");
        let error = reply.error();
        assert_eq!(error["code"], "upstream_timeout");
        assert_eq!(
            message(&error),
            format!("{}: upstream timed out after 500 ms", upstream.name())
        );
        upstream.settles(0).await;
        upstream.stop().await;
    }
}

#[tokio::test]
async fn an_openai_error_object_under_a_200_is_a_502_with_its_message() {
    let hub = Harness::start_with(MockConfig::default(), |_| {}).await;
    hub.mock.set_fault(Some(Fault::Status {
        status: 200,
        body: json!({"error": {"message": "The engine is currently overloaded",
                               "type": "server_error", "param": null, "code": "overloaded"}}),
        retry_after: None,
    }));

    let reply = hub.post("/v1/chat/completions", &chat("mini", "x")).await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    let error = reply.error();
    assert_eq!(
        message(&error),
        "mock-openai: The engine is currently overloaded"
    );
    assert_eq!(error["code"], "overloaded");
    hub.stop().await;
}

#[tokio::test]
async fn an_anthropic_error_object_under_a_200_is_a_502_with_its_message() {
    let claude = Claude::start_before(AnthropicConfig::default(), |_| {}).await;
    claude.mock.set_fault(Some(Fault::Status {
        status: 200,
        body: json!({"type": "error",
                     "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        retry_after: None,
    }));

    let reply = claude.chat(&chat("claude", "x")).await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    let error = reply.error();
    assert_eq!(message(&error), "anthropic: Overloaded");
    assert_eq!(error["code"], "overloaded_error");
    claude.stop().await;
}
