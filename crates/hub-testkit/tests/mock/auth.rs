//! `Authorization: Bearer` is required, and must match the configured key when there is one.

use bytes::Bytes;
use http::Method;
use hub_testkit::{MockConfig, OpenAiMock};
use serde_json::json;

use crate::client::{self, KEY, chat_body};

async fn chat_with_auth(mock: &OpenAiMock, authorization: Option<&str>) -> client::Reply {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(value) = authorization {
        headers.push(("authorization", value));
    }
    let body = Bytes::from(chat_body("gpt-4o", "hi").to_string());
    client::send(
        mock.addr(),
        Method::POST,
        "/v1/chat/completions",
        &headers,
        body,
    )
    .await
}

#[tokio::test]
async fn a_missing_key_is_refused() {
    let mock = client::mock().await;

    for authorization in [None, Some("Bearer "), Some("Basic dXNlcjpwYXNz")] {
        let reply = chat_with_auth(&mock, authorization).await;

        assert_eq!(reply.status, 401, "{authorization:?}");
        let error = reply.error();
        assert_eq!(error["type"], "invalid_request_error");
        assert_eq!(error["code"], "invalid_api_key");
        assert_eq!(error["param"], json!(null));
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("You didn't provide an API key"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn a_wrong_key_is_refused_without_echoing_it() {
    let config = MockConfig {
        api_key: Some("sk-right-key-1234".to_owned()),
        ..MockConfig::default()
    };
    let mock = OpenAiMock::start(config).await.expect("the mock starts");

    let reply = chat_with_auth(&mock, Some("Bearer sk-wrong-key-9876")).await;

    assert_eq!(reply.status, 401);
    let error = reply.error();
    assert_eq!(error["code"], "invalid_api_key");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Incorrect API key provided: sk-"),
        "{message}"
    );
    assert!(
        !message.contains("sk-wrong-key-9876"),
        "the key is redacted: {message}"
    );

    let reply = chat_with_auth(&mock, Some("Bearer sk-right-key-1234")).await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn without_a_configured_key_any_key_is_accepted() {
    let mock = client::mock().await;

    assert_eq!(
        chat_with_auth(&mock, Some(&format!("Bearer {KEY}")))
            .await
            .status,
        200
    );
    assert_eq!(
        chat_with_auth(&mock, Some("bearer anything")).await.status,
        200
    );
}

#[tokio::test]
async fn models_need_a_key_too() {
    let mock = client::mock().await;

    let reply = client::send(mock.addr(), Method::GET, "/v1/models", &[], Bytes::new()).await;

    assert_eq!(reply.status, 401);
}

#[tokio::test]
async fn echo_credentials_quotes_a_wrong_key_whole() {
    let config = MockConfig {
        api_key: Some("sk-right-key-1234".to_owned()),
        echo_credentials: true,
        ..MockConfig::default()
    };
    let mock = OpenAiMock::start(config).await.expect("the mock starts");

    let reply = chat_with_auth(&mock, Some("Bearer sk-wrong-key-9876")).await;

    assert_eq!(reply.status, 401);
    let message = reply.error()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.starts_with("Incorrect API key provided: sk-wrong-key-9876."),
        "{message}"
    );
}
