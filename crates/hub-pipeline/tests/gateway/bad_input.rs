//! Bad requests get OpenAI's error body with the right status, and the gateway keeps
//! serving after each.

use crate::common::{Harness, chat};
use http::{Method, StatusCode};
use serde_json::json;

async fn still_serves(hub: &Harness) {
    let reply = hub
        .post("/v1/chat/completions", &chat("mini", "still there?"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "the gateway keeps serving");
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let hub = Harness::start().await;

    let reply = hub
        .call(
            Method::POST,
            "/v1/chat/completions",
            &[("content-type", "application/json")],
            "{\"model\":",
        )
        .await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let error = reply.error();
    assert_eq!(error["type"], "invalid_request_error");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("could not parse the JSON body")
    );
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn missing_model_or_messages_name_the_param() {
    let hub = Harness::start().await;

    let no_model = hub
        .post(
            "/v1/chat/completions",
            &json!({"messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
    let no_messages = hub
        .post("/v1/chat/completions", &json!({"model": "mini"}))
        .await;
    let empty_messages = hub
        .post(
            "/v1/chat/completions",
            &json!({"model": "mini", "messages": []}),
        )
        .await;
    let no_input = hub
        .post("/v1/embeddings", &json!({"model": "embedder"}))
        .await;

    for (reply, param) in [
        (no_model, "model"),
        (no_messages, "messages"),
        (empty_messages, "messages"),
        (no_input, "input"),
    ] {
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.error()["param"], param);
    }
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn bad_roles_and_types_are_400s() {
    let hub = Harness::start().await;

    let role = hub
        .post(
            "/v1/chat/completions",
            &json!({"model": "mini", "messages": [{"role": "wizard", "content": "x"}]}),
        )
        .await;
    let temperature = hub
        .post(
            "/v1/chat/completions",
            &json!({"model": "mini", "messages": [], "temperature": "hot"}),
        )
        .await;

    assert_eq!(role.status, StatusCode::BAD_REQUEST);
    assert!(role.error()["message"].as_str().unwrap().contains("wizard"));
    assert_eq!(temperature.status, StatusCode::BAD_REQUEST);
    hub.stop().await;
}

#[tokio::test]
async fn unknown_model_is_a_404() {
    let hub = Harness::start().await;

    let reply = hub.post("/v1/chat/completions", &chat("gpt-7", "x")).await;

    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let error = reply.error();
    assert_eq!(error["code"], "model_not_found");
    assert!(error["message"].as_str().unwrap().contains("gpt-7"));
    assert!(
        hub.mock.requests().is_empty(),
        "nothing reached the upstream"
    );
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn wrong_content_type_is_a_415() {
    let hub = Harness::start().await;
    let body = chat("mini", "x").to_string();

    let form = hub
        .call(
            Method::POST,
            "/v1/chat/completions",
            &[("content-type", "application/x-www-form-urlencoded")],
            body.clone(),
        )
        .await;
    let none = hub
        .call(Method::POST, "/v1/chat/completions", &[], body)
        .await;

    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(form.error()["code"], "unsupported_media_type");
    assert_eq!(none.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let hub = Harness::start_with(hub_testkit::MockConfig::default(), |config| {
        config["general"] = json!({"max_request_body_bytes": 2048});
    })
    .await;
    let large = chat("mini", &"word ".repeat(1000));

    let reply = hub.post("/v1/chat/completions", &large).await;

    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.error()["code"], "request_too_large");
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_a_413_too() {
    let hub = Harness::start_with(hub_testkit::MockConfig::default(), |config| {
        config["general"] = json!({"max_request_body_bytes": 2048});
    })
    .await;
    let mut stream = tokio::net::TcpStream::connect(hub.addr).await.unwrap();
    let head = "POST /v1/chat/completions HTTP/1.1\r\nhost: hub\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    let chunk = "x".repeat(4096);
    let request = format!("{head}{:x}\r\n{chunk}\r\n0\r\n\r\n", chunk.len());

    tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut answer)
        .await
        .unwrap();

    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    hub.stop().await;
}

#[tokio::test]
async fn unknown_paths_and_methods_are_refused() {
    let hub = Harness::start().await;

    let path = hub.call(Method::GET, "/v1/nothing-here", &[], "").await;
    let method = hub.call(Method::GET, "/v1/chat/completions", &[], "").await;

    assert_eq!(path.status, StatusCode::NOT_FOUND);
    assert_eq!(path.error()["code"], "unknown_url");
    assert_eq!(method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(method.headers["allow"], "POST");
    still_serves(&hub).await;
    hub.stop().await;
}
