//! The model router keeping calls alive: fallbacks, retries, load balancing, ejection,
//! timeouts and client disconnects, against emulators with fault knobs.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use http::StatusCode;
use hub_testkit::{Fault, MockConfig, OpenAiMock};
use serde_json::{Value, json};

use crate::common::{Harness, MOCK_KEY, chat};

/// A second emulator, served as provider `backup` with model `backup-model`.
async fn backup() -> OpenAiMock {
    OpenAiMock::start(MockConfig {
        api_key: Some(MOCK_KEY.to_owned()),
        ..MockConfig::default()
    })
    .await
    .expect("the backup emulator starts")
}

/// The harness with pipeline `default` routing `chat-model` (first emulator) and
/// `backup-model` (second) under `router`.
async fn two_models(backup: &OpenAiMock, router: Value) -> Harness {
    let backup_url = backup.base_url();
    Harness::start_with(MockConfig::default(), move |config| {
        config["providers"]
            .as_array_mut()
            .expect("a provider list")
            .push(json!({
                "key": "backup", "type": "openai", "api_key": MOCK_KEY, "base_url": backup_url
            }));
        config["models"]
            .as_array_mut()
            .expect("a model list")
            .push(json!({
                "key": "backup-model", "type": "gpt-4o", "provider": "backup"
            }));
        let mut router = router;
        router["models"] = json!(["chat-model", "backup-model"]);
        config["pipelines"][0]["plugins"][1] = json!({"model-router": router});
    })
    .await
}

fn server_error() -> Fault {
    Fault::Status {
        status: 500,
        body: json!({"error": {"message": "boom", "type": "server_error", "param": null, "code": null}}),
        retry_after: None,
    }
}

#[tokio::test]
async fn a_failing_model_falls_back_to_the_next() {
    let backup = backup().await;
    let hub = two_models(&backup, json!({"strategy": "ordered_fallback"})).await;

    for fault in [
        server_error(),
        Fault::Status {
            status: 429,
            body: json!({"error": {"message": "slow down", "type": "requests", "param": null, "code": null}}),
            retry_after: None,
        },
        Fault::ResetBeforeResponse,
    ] {
        hub.mock.set_fault(Some(fault.clone()));

        let reply = hub
            .post("/v1/chat/completions", &chat("chat-model", "hi"))
            .await;

        assert_eq!(reply.status, StatusCode::OK, "{fault:?}: {:?}", reply.body);
        assert_eq!(reply.headers["x-hub-model"], "backup-model");
        assert_eq!(reply.headers["x-hub-provider"], "backup");
    }
    assert_eq!(backup.requests().len(), 3);
    hub.stop().await;
}

#[tokio::test]
async fn a_refused_connection_falls_back() {
    let backup = backup().await;
    let backup_url = backup.base_url();
    let hub = Harness::start_with(MockConfig::default(), move |config| {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port");
        config["providers"][0]["base_url"] = json!(format!("http://{closed}/v1"));
        config["providers"]
            .as_array_mut()
            .expect("a provider list")
            .push(json!({
                "key": "backup", "type": "openai", "api_key": MOCK_KEY, "base_url": backup_url
            }));
        config["models"]
            .as_array_mut()
            .expect("a model list")
            .push(json!({
                "key": "backup-model", "type": "gpt-4o", "provider": "backup"
            }));
        config["pipelines"][0]["plugins"][1] = json!({"model-router": {
            "models": ["chat-model", "backup-model"], "strategy": "ordered_fallback"}});
    })
    .await;

    let reply = hub
        .post("/v1/chat/completions", &chat("chat-model", "hi"))
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["x-hub-model"], "backup-model");
    hub.stop().await;
}

#[tokio::test]
async fn client_errors_do_not_fall_back() {
    let backup = backup().await;
    let hub = two_models(&backup, json!({"strategy": "ordered_fallback"})).await;
    hub.mock.set_fault(Some(Fault::Status {
        status: 400,
        body: json!({"error": {"message": "bad", "type": "invalid_request_error", "param": null, "code": null}}),
        retry_after: None,
    }));

    let reply = hub
        .post("/v1/chat/completions", &chat("chat-model", "hi"))
        .await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(backup.requests().is_empty());
    hub.stop().await;
}

#[tokio::test]
async fn a_stream_that_started_never_falls_back() {
    let backup = backup().await;
    let hub = two_models(&backup, json!({"strategy": "ordered_fallback"})).await;
    hub.mock
        .set_fault(Some(Fault::TruncateStream { after_chunks: 3 }));
    let mut request = chat("chat-model", "one two three four");
    request["stream"] = json!(true);

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(reply.status, StatusCode::OK);
    let last: Value = serde_json::from_str(reply.events().last().unwrap()).unwrap();
    assert!(
        last["error"]["message"].is_string(),
        "the break reaches the client: {last}"
    );
    assert!(
        backup.requests().is_empty(),
        "nothing is sent to a second model mid-stream"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_stream_that_fails_before_its_first_chunk_falls_back() {
    let backup = backup().await;
    let hub = two_models(&backup, json!({"strategy": "ordered_fallback"})).await;
    hub.mock
        .set_fault(Some(Fault::TruncateStream { after_chunks: 0 }));
    let mut request = chat("chat-model", "one two");
    request["stream"] = json!(true);

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(reply.headers["x-hub-model"], "backup-model");
    assert_eq!(reply.events().last().map(String::as_str), Some("[DONE]"));
    hub.stop().await;
}

#[tokio::test]
async fn retries_honour_retry_after() {
    let hub = Harness::start_with(MockConfig::default(), |config| {
        config["pipelines"][0]["plugins"][1] = json!({"model-router": {
            "models": ["chat-model"], "retry": {"max_retries": 1, "initial_backoff_ms": 1}}});
    })
    .await;
    hub.mock.set_fault(Some(Fault::Status {
        status: 429,
        body: json!({"error": {"message": "slow down", "type": "requests", "param": null, "code": null}}),
        retry_after: Some(1),
    }));

    let started = Instant::now();
    let reply = hub
        .post("/v1/chat/completions", &chat("chat-model", "hi"))
        .await;

    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(hub.mock.requests().len(), 2, "one retry");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the retry waited for retry-after"
    );
    hub.stop().await;
}

#[tokio::test]
async fn retries_stop_at_the_attempt_cap() {
    let hub = Harness::start_with(MockConfig::default(), |config| {
        config["pipelines"][0]["plugins"][1] = json!({"model-router": {
            "models": ["chat-model"],
            "retry": {"max_retries": 5, "initial_backoff_ms": 1, "max_backoff_ms": 2, "max_attempts": 3}}});
    })
    .await;
    hub.mock.set_fault(Some(server_error()));

    let reply = hub
        .post("/v1/chat/completions", &chat("chat-model", "hi"))
        .await;

    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert_eq!(hub.mock.requests().len(), 3);
    hub.stop().await;
}

#[tokio::test]
async fn weighted_random_follows_the_weights() {
    let backup = backup().await;
    let router =
        json!({"strategy": "weighted_random", "weights": {"chat-model": 3, "backup-model": 1}});
    let hub = two_models(&backup, router).await;

    let mut served: HashMap<String, u32> = HashMap::new();
    for _ in 0..400 {
        let reply = hub
            .post("/v1/chat/completions", &chat("chat-model", "hi"))
            .await;
        let model = reply.headers["x-hub-model"].to_str().unwrap().to_owned();
        *served.entry(model).or_default() += 1;
    }

    // 300 expected, with a standard deviation of about 9: 50 is more than five of them.
    let primary = served.get("chat-model").copied().unwrap_or_default();
    assert!((250..=350).contains(&primary), "{served:?}");
    hub.stop().await;
}

#[tokio::test]
async fn least_latency_avoids_a_slow_model() {
    let backup = backup().await;
    let hub = two_models(&backup, json!({"strategy": "least_latency"})).await;
    hub.mock.set_latency(Duration::from_millis(150));

    let mut slow = 0;
    for _ in 0..20 {
        let reply = hub
            .post("/v1/chat/completions", &chat("chat-model", "hi"))
            .await;
        if reply.headers["x-hub-model"] == "chat-model" {
            slow += 1;
        }
    }

    assert!(
        slow <= 2,
        "the slow model served {slow} of 20 after being measured"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_failing_model_is_ejected_then_probed_back_in() {
    let backup = backup().await;
    let router = json!({"strategy": "ordered_fallback",
                        "ejection": {"consecutive_failures": 2, "cooldown_ms": 400}});
    let hub = two_models(&backup, router).await;
    hub.mock.set_fault(Some(server_error()));

    for _ in 0..5 {
        let reply = hub
            .post("/v1/chat/completions", &chat("chat-model", "hi"))
            .await;
        assert_eq!(reply.headers["x-hub-model"], "backup-model");
    }
    assert_eq!(
        hub.mock.requests().len(),
        2,
        "ejected after two failures in a row"
    );

    hub.mock.set_fault(None);
    tokio::time::sleep(Duration::from_millis(450)).await;
    let probe = hub
        .post("/v1/chat/completions", &chat("chat-model", "hi"))
        .await;
    assert_eq!(
        probe.headers["x-hub-model"], "chat-model",
        "probed back in after the cooldown"
    );
    let after = hub
        .post("/v1/chat/completions", &chat("chat-model", "hi"))
        .await;
    assert_eq!(after.headers["x-hub-model"], "chat-model");
    hub.stop().await;
}

#[tokio::test]
async fn a_model_timeout_is_a_504() {
    let hub = Harness::start_with(MockConfig::default(), |config| {
        config["models"][0]["timeout_ms"] = json!(200);
        config["models"][0]["first_byte_timeout_ms"] = json!(200);
    })
    .await;
    hub.mock.set_latency(Duration::from_secs(3));
    let mut streamed = chat("chat-model", "hi");
    streamed["stream"] = json!(true);

    let whole = hub
        .post("/v1/chat/completions", &chat("chat-model", "hi"))
        .await;
    let stream = hub.post("/v1/chat/completions", &streamed).await;

    for reply in [whole, stream] {
        assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
        assert!(
            reply.error()["message"]
                .as_str()
                .unwrap()
                .contains("timed out after 200 ms")
        );
    }
    hub.stop().await;
}

#[tokio::test]
async fn a_client_disconnect_closes_the_upstream_connection() {
    let hub = Harness::start().await;
    hub.mock.set_fault(Some(Fault::Stall));
    let body = chat("chat-model", "hi").to_string();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: hub\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut client = tokio::net::TcpStream::connect(hub.addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut client, request.as_bytes())
        .await
        .unwrap();
    assert!(
        eventually(|| hub.mock.open_connections() == 1).await,
        "the call reached upstream"
    );

    drop(client);

    assert!(
        eventually(|| hub.mock.open_connections() == 0).await,
        "the upstream connection closes when the client leaves"
    );
    hub.stop().await;
}

async fn eventually(condition: impl Fn() -> bool) -> bool {
    for _ in 0..300 {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}
