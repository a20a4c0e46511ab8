//! A small HTTP client for the emulator, sending what Anthropic's API expects by default.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hub_testkit::{AnthropicConfig, AnthropicMock};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

pub(crate) const KEY: &str = "sk-ant-test";
pub(crate) const VERSION: &str = "2023-06-01";

/// A mock that accepts only [`KEY`].
pub(crate) async fn mock() -> AnthropicMock {
    AnthropicMock::start(AnthropicConfig {
        api_key: Some(KEY.to_owned()),
        ..AnthropicConfig::default()
    })
    .await
    .expect("the mock starts on loopback")
}

/// A complete response, or the error that broke it off.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Result<Bytes, String>,
}

impl Reply {
    pub(crate) fn bytes(&self) -> &Bytes {
        self.body.as_ref().expect("the body was read whole")
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(self.bytes()).expect("the body is JSON")
    }

    /// The `error` object of Anthropic's error body, checking the body's shape.
    pub(crate) fn error(&self) -> Value {
        let body = self.json();
        assert_eq!(body["type"], "error", "{body}");
        assert!(body["request_id"].is_string(), "{body}");
        assert_eq!(
            self.headers["request-id"]
                .to_str()
                .expect("an ASCII request id"),
            body["request_id"]
        );
        body["error"].clone()
    }

    /// The events of a stream as `(event name, data)`, checking that each has both lines
    /// and that the name is the data's `type`, as the SDKs rely on.
    pub(crate) fn events(&self) -> Vec<(String, Value)> {
        events(self.bytes())
    }
}

pub(crate) fn events(body: &[u8]) -> Vec<(String, Value)> {
    let text = std::str::from_utf8(body).expect("event streams are UTF-8");
    text.split_terminator("\n\n")
        .map(|event| {
            let (name, data) = event.split_once('\n').expect("two lines per event");
            let name = name.strip_prefix("event: ").expect("an event line first");
            let data: Value =
                serde_json::from_str(data.strip_prefix("data: ").expect("a data line second"))
                    .expect("data is JSON");
            assert_eq!(data["type"], name, "{event}");
            (name.to_owned(), data)
        })
        .collect()
}

/// A valid request for `model` saying `text`.
pub(crate) fn message(model: &str, text: &str) -> Value {
    json!({"model": model, "max_tokens": 100, "messages": [{"role": "user", "content": text}]})
}

/// POSTs `body` to `/v1/messages` with the usual headers.
pub(crate) async fn post(mock: &AnthropicMock, body: &Value) -> Reply {
    let headers = [
        ("x-api-key", KEY),
        ("anthropic-version", VERSION),
        ("content-type", "application/json"),
    ];
    send(
        mock,
        Method::POST,
        "/v1/messages",
        &headers,
        body.to_string(),
    )
    .await
}

/// Sends a request exactly as given.
pub(crate) async fn send(
    mock: &AnthropicMock,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: String,
) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{}{path}", mock.base_url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .expect("test requests are well formed");

    let client = Client::builder(TokioExecutor::new()).build_http();
    let response = tokio::time::timeout(Duration::from_secs(10), client.request(request))
        .await
        .expect("the mock answers within 10 s")
        .expect("the mock sends a response head");
    let (parts, body) = response.into_parts();
    let body = tokio::time::timeout(Duration::from_secs(10), body.collect())
        .await
        .expect("the body ends within 10 s")
        .map(|collected| collected.to_bytes())
        .map_err(|error| error.to_string());
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}
