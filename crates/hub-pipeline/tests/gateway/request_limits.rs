//! Limits on what one request may carry: its body, however it is framed, its head, and the
//! lists that fan out upstream work. Each refusal leaves the gateway serving others.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, Full, StreamBody};
use hub_testkit::MockConfig;
use serde_json::{Value, json};

use crate::common::{Harness, chat};
use crate::raw::{self, RawReply};

async fn limited(general: Value) -> Harness {
    Harness::start_with(MockConfig::default(), |config| config["general"] = general).await
}

async fn still_serves(hub: &Harness) {
    let reply = hub
        .post("/v1/chat/completions", &chat("mini", "still there?"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "the gateway keeps serving");
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_the_body_is_sent() {
    let hub = limited(json!({"max_request_body_bytes": 2048})).await;
    let mut stream = raw::connect(hub.addr).await;

    raw::send(&mut stream, raw::post_head("/v1/chat/completions", 1 << 30)).await;
    let reply = RawReply::parse(&raw::read_to_close(&mut stream).await);

    assert_eq!(reply.status, 413);
    assert_eq!(reply.error()["code"], "request_too_large");
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn an_http2_body_without_a_length_is_counted_as_it_arrives() {
    let hub = limited(json!({"max_request_body_bytes": 2048})).await;
    let (mut sender, _connection) = raw::http2(hub.addr).await;
    let chunks = (0..8).map(|_| Ok::<_, Infallible>(Frame::data(Bytes::from(vec![b' '; 1024]))));
    let body = StreamBody::new(futures_util::stream::iter(chunks)).boxed();
    let request = Request::post(format!("http://{}/v1/chat/completions", hub.addr))
        .header("content-type", "application/json")
        .body(body)
        .expect("a request");

    let (status, body) = raw::http2_call(&mut sender, request)
        .await
        .expect("an answer");

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body["error"]["code"], "request_too_large");
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn lists_longer_than_the_limits_are_400s_naming_the_param() {
    let hub = limited(json!({"max_messages": 3, "max_input_items": 2})).await;
    let message = json!({"role": "user", "content": "x"});

    let messages = hub
        .post(
            "/v1/chat/completions",
            &json!({"model": "mini", "messages": vec![message; 4]}),
        )
        .await;
    let inputs = hub
        .post(
            "/v1/embeddings",
            &json!({"model": "embedder", "input": ["a", "b", "c"]}),
        )
        .await;
    let prompts = hub
        .post(
            "/v1/completions",
            &json!({"model": "instruct", "prompt": [[1], [2], [3]]}),
        )
        .await;

    for (reply, param) in [
        (messages, "messages"),
        (inputs, "input"),
        (prompts, "prompt"),
    ] {
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{param}");
        let error = reply.error();
        assert_eq!(error["param"], param);
        assert_eq!(error["code"], "array_above_max_length");
        assert_eq!(error["type"], "invalid_request_error");
    }
    assert!(
        hub.mock.requests().is_empty(),
        "nothing reached the upstream"
    );
    let at_the_limit = hub
        .post(
            "/v1/embeddings",
            &json!({"model": "embedder", "input": ["a", "b"]}),
        )
        .await;
    assert_eq!(at_the_limit.status, StatusCode::OK);
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn an_http1_head_over_the_limits_is_a_431() {
    let hub = limited(json!({"max_header_bytes": 8192, "max_headers": 20})).await;
    let large = format!(
        "GET /health HTTP/1.1\r\nhost: hub\r\nx-large: {}\r\n\r\n",
        "a".repeat(10_000)
    );
    let many: String = (0..30).map(|n| format!("x-header-{n}: {n}\r\n")).collect();
    let many = format!("GET /health HTTP/1.1\r\nhost: hub\r\n{many}\r\n");

    for head in [large, many] {
        let mut stream = raw::connect(hub.addr).await;
        raw::send(&mut stream, head).await;
        let reply = RawReply::parse(&raw::read_to_close(&mut stream).await);
        // hyper answers on its own, before the gateway sees a request: no JSON body.
        assert_eq!(reply.status, 431);
    }

    let mut stream = raw::connect(hub.addr).await;
    raw::send(
        &mut stream,
        "GET /health HTTP/1.1\r\nhost: hub\r\nconnection: close\r\n\r\n",
    )
    .await;
    let reply = RawReply::parse(&raw::read_to_close(&mut stream).await);
    assert_eq!(reply.status, 200, "a head within the limits is served");
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn an_http2_header_list_over_the_limit_is_refused_and_the_connection_serves_on() {
    let hub = limited(json!({"max_header_bytes": 8192})).await;
    let (mut sender, _connection) = raw::http2(hub.addr).await;
    let health = |extra: usize| {
        Request::get(format!("http://{}/health", hub.addr))
            .header("x-large", "a".repeat(extra))
            .body(Full::new(Bytes::new()).boxed())
            .expect("a request")
    };

    let refused = raw::http2_call(&mut sender, health(10_000)).await;
    let served = raw::http2_call(&mut sender, health(10)).await;

    match refused {
        Ok((status, _)) => assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
        Err(error) => panic!("expected a 431, got {error}"),
    }
    assert_eq!(served.expect("an answer").0, StatusCode::OK);
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn a_body_at_the_limit_is_served() {
    let hub = limited(json!({"max_request_body_bytes": 4096})).await;
    let body = chat("mini", "fits").to_string();
    let padded = format!("{body:<4096}");

    let reply = hub
        .call(
            Method::POST,
            "/v1/chat/completions",
            &[("content-type", "application/json")],
            padded,
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    hub.stop().await;
}

/// Posts a chat request padded with leading whitespace (valid JSON) to `padding` bytes more.
async fn padded_chat(hub: &Harness, padding: usize) -> crate::common::Reply {
    let body = format!("{}{}", " ".repeat(padding), chat("mini", "padded"));
    let headers = [("content-type", "application/json")];
    hub.call(Method::POST, "/v1/chat/completions", &headers, body)
        .await
}

#[tokio::test]
async fn bodies_beyond_the_memory_budget_are_refused_at_once_until_memory_is_given_back() {
    // Room for one whole body of the largest size, not two.
    let hub = limited(json!({
        "max_request_body_bytes": 1 << 20,
        "max_buffered_body_bytes": 3 << 19,
    }))
    .await;
    let mut holder = raw::connect(hub.addr).await;
    raw::send(&mut holder, raw::post_head("/v1/chat/completions", 1 << 20)).await;
    raw::send(&mut holder, vec![b' '; 1_000_000]).await;

    // The holder's bytes are taken once the gateway has read them; until then a second body
    // of 700 KB still fits and is served.
    let refused = tokio::time::timeout(raw::DEADLINE, async {
        loop {
            let reply = padded_chat(&hub, 700_000).await;
            if reply.status != StatusCode::OK {
                return reply;
            }
        }
    })
    .await
    .expect("a body beyond the budget is refused before the deadline");

    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers["retry-after"], "1");
    assert_eq!(refused.error()["code"], "overloaded");
    let small = padded_chat(&hub, 1000).await;
    assert_eq!(small.status, StatusCode::OK, "a body that fits is served");
    let metrics = hub.call(Method::GET, "/metrics", &[], "").await;
    let metrics = String::from_utf8_lossy(&metrics.body).into_owned();
    assert!(
        metrics.contains(r#"hub_refused_total{limit="max_buffered_body_bytes"}"#),
        "{metrics}"
    );

    // The holder leaves: its bytes come back to the budget.
    drop(holder);
    let served = tokio::time::timeout(raw::DEADLINE, async {
        loop {
            if padded_chat(&hub, 700_000).await.status == StatusCode::OK {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        served.is_ok(),
        "the budget comes back when a body is dropped"
    );
    hub.stop().await;
}
