//! Every request is recorded as it arrived, valid or not, in order.

use bytes::Bytes;
use http::Method;
use serde_json::{Value, json};

use crate::client::{self, KEY, chat_body};

#[tokio::test]
async fn requests_are_recorded_in_order_with_headers_and_body() {
    let mock = client::mock().await;
    let body = chat_body("gpt-4o", "hi");

    client::post(&mock, "/v1/chat/completions", &body).await;
    client::get(&mock, "/v1/models?limit=2").await;
    let headers = [("content-type", "text/plain"), ("x-custom", "yes")];
    client::send(
        mock.addr(),
        Method::POST,
        "/v1/nowhere",
        &headers,
        Bytes::from_static(b"plain"),
    )
    .await;

    let requests = mock.requests();
    assert_eq!(requests.len(), 3);

    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(requests[0].body, body);
    assert_eq!(
        requests[0].header("Authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(requests[0].header("content-type"), Some("application/json"));

    assert_eq!(requests[1].method, "GET");
    assert_eq!(requests[1].path, "/v1/models?limit=2");
    assert_eq!(requests[1].body, Value::Null);

    assert_eq!(requests[2].path, "/v1/nowhere");
    assert_eq!(requests[2].header("x-custom"), Some("yes"));
    assert_eq!(requests[2].body, Value::Null);
}

#[tokio::test]
async fn rejected_requests_are_recorded_too() {
    let mock = client::mock().await;
    let body = json!({"model": "gpt-4o", "messages": [], "temperature": 9});

    let reply = client::post(&mock, "/v1/chat/completions", &body).await;

    assert_eq!(reply.status, 400);
    assert_eq!(mock.requests()[0].body, body);
}
