//! Access keys end to end: a key created through the management API lets the official
//! `openai` client through a gateway in database mode, and once deleted it is refused as
//! OpenAI refuses a revoked key, without a restart. The key never shows in the gateway's log.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use hub_testkit::postgres::TestDatabase;
use hub_testkit::{MockConfig, OpenAiMock};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::admin::{AdminApi, UPSTREAM_KEY, drain_logs, start_gateway};
use crate::common::run_openai_client;

/// The status of a chat sent to `gateway` bearing `key`.
async fn chat_status(gateway: SocketAddr, key: &str) -> u16 {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let body = json!({"model": "chat", "messages": [{"role": "user", "content": "hi"}]});
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("http://{gateway}/v1/chat/completions"))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a request");
    let response = client.request(request).await.expect("the gateway answers");
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_made_through_the_api_serves_the_openai_client_until_it_is_deleted() {
    let database = TestDatabase::create().await;
    let mock = OpenAiMock::start(MockConfig {
        api_key: Some(UPSTREAM_KEY.to_owned()),
        ..MockConfig::default()
    })
    .await
    .expect("the emulator starts");
    let admin = AdminApi::start(database.url()).await;
    admin.seed(&mock.base_url(), "gpt-4o").await;
    let (status, created) = admin
        .send(Method::POST, "/api-keys", &json!({"name": "python"}))
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().expect("the created key").to_owned();
    // The last key cannot be deleted, so that deleting it never opens the gateway.
    let (status, spare) = admin
        .send(Method::POST, "/api-keys", &json!({"name": "spare"}))
        .await;
    assert_eq!(status, 201, "{spare}");
    let gateway = start_gateway(database.url());

    let with_key = [
        ("HUB_API_KEY", key.as_str()),
        ("HUB_CHAT_MODEL", "chat"),
        ("HUB_CHECKS", "chat,stream"),
    ];
    run_openai_client(&gateway, &with_key).await;
    let without_key = [("HUB_CHAT_MODEL", "chat"), ("HUB_CHECKS", "denied")];
    run_openai_client(&gateway, &without_key).await;

    let path = format!("/api-keys/{}", created["id"].as_str().expect("an id"));
    let (status, _) = admin.send(Method::DELETE, &path, &Value::Null).await;
    assert_eq!(status, 204);
    // The notification makes this immediate, and the gateway's 1 s polling bounds it; the
    // deadline only keeps a broken follower from hanging the test.
    let deadline = Instant::now() + Duration::from_secs(10);
    while chat_status(gateway.addr, &key).await != 401 {
        assert!(Instant::now() < deadline, "the deleted key still works");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let revoked = [
        ("HUB_API_KEY", key.as_str()),
        ("HUB_CHAT_MODEL", "chat"),
        ("HUB_CHECKS", "denied"),
    ];
    run_openai_client(&gateway, &revoked).await;

    for line in drain_logs(&gateway) {
        assert!(
            !line.to_string().contains(&key),
            "the key in the log: {line}"
        );
    }
    let upstream = mock.requests();
    assert!(!upstream.is_empty());
    for request in upstream {
        assert_eq!(
            request.header("authorization"),
            Some(&*format!("Bearer {UPSTREAM_KEY}"))
        );
    }
}
