//! More clients than the gateway serves at once: requests beyond `max_concurrent_requests` get
//! 503 at once while probes still answer, connections beyond `max_connections` are closed at
//! once, and nothing queues.

use std::time::Duration;

use http::{Method, StatusCode};
use http_body_util::BodyExt;
use hub_testkit::{Fault, MockConfig};
use serde_json::json;

use crate::common::{Harness, chat, streamed};
use crate::raw::{self, DEADLINE};

/// Waits until the emulator has received `count` requests.
async fn upstream_received(hub: &Harness, count: usize) {
    let wait = async {
        while hub.mock.requests().len() < count {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(DEADLINE, wait)
        .await
        .expect("the requests reach the upstream");
}

#[tokio::test]
async fn requests_beyond_the_limit_get_503_at_once_while_probes_answer() {
    let hub = Harness::start_with(MockConfig::default(), |config| {
        config["general"] = json!({"max_concurrent_requests": 2});
    })
    .await;
    hub.mock.set_fault(Some(Fault::Stall));

    let (one, two) = (chat("mini", "one"), chat("mini", "two"));
    let held = async {
        let first = hub.post("/v1/chat/completions", &one);
        let second = hub.post("/v1/chat/completions", &two);
        tokio::join!(first, second)
    };
    let beyond = async {
        upstream_received(&hub, 2).await;
        let refused = hub
            .post("/v1/chat/completions", &chat("mini", "three"))
            .await;
        let health = hub.call(Method::GET, "/health", &[], "").await;
        let metrics = hub.call(Method::GET, "/metrics", &[], "").await;
        hub.mock.set_fault(None);
        (refused, health, metrics)
    };
    let ((first, second), (refused, health, metrics)) = tokio::join!(held, beyond);

    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers["retry-after"], "1");
    let error = refused.error();
    assert_eq!(error["type"], "server_error");
    assert_eq!(error["code"], "overloaded");
    assert_eq!(
        hub.mock.requests().len(),
        2,
        "the refused request went nowhere"
    );
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(metrics.status, StatusCode::OK);
    let metrics = String::from_utf8_lossy(&metrics.body).into_owned();
    assert!(
        metrics.contains(r#"hub_refused_total{limit="max_concurrent_requests"}"#),
        "{metrics}"
    );
    // The stalled upstream times out (2 s in the test configuration); the slots come back.
    assert_eq!(first.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(second.status, StatusCode::GATEWAY_TIMEOUT);
    let after = hub
        .post("/v1/chat/completions", &chat("mini", "four"))
        .await;
    assert_eq!(after.status, StatusCode::OK);
    hub.stop().await;
}

#[tokio::test]
async fn a_stream_holds_its_slot_until_its_last_event() {
    let pacing = MockConfig {
        stream_chunk_delay: Duration::from_millis(50),
        ..MockConfig::default()
    };
    let hub = Harness::start_with(pacing, |config| {
        config["general"] = json!({"max_concurrent_requests": 1});
    })
    .await;
    let request = streamed(chat("mini", "a few words to stream back slowly"));

    let stream = hub
        .send(
            Method::POST,
            "/v1/chat/completions",
            &[("content-type", "application/json")],
            request.to_string(),
        )
        .await;
    assert_eq!(stream.status(), StatusCode::OK);
    let during = hub
        .post("/v1/chat/completions", &chat("mini", "meanwhile"))
        .await;
    let body = tokio::time::timeout(DEADLINE, stream.into_body().collect())
        .await
        .expect("the stream ends")
        .expect("the stream reads")
        .to_bytes();
    let after = hub
        .post("/v1/chat/completions", &chat("mini", "afterwards"))
        .await;

    assert_eq!(during.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.ends_with(b"data: [DONE]\n\n"), "{body:?}");
    assert_eq!(after.status, StatusCode::OK);
    hub.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_limit_are_closed_at_once() {
    let hub = Harness::start_with(MockConfig::default(), |config| {
        config["general"] = json!({"max_connections": 2});
    })
    .await;
    let first = raw::connect(hub.addr).await;
    let second = raw::connect(hub.addr).await;

    let mut third = raw::connect(hub.addr).await;
    let answer = raw::read_to_close(&mut third).await;

    assert!(answer.is_empty(), "closed without a word: {answer:?}");
    drop(first);
    let wait = async {
        // The gateway sees the first connection close on its next read; until then its slot
        // is still taken and a new connection is closed too.
        while raw::health(hub.addr).await != Some(200) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(DEADLINE, wait)
        .await
        .expect("a freed slot serves a new connection");
    drop(second);
    hub.stop().await;
}
