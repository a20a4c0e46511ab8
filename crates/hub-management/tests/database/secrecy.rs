//! A secret's value, given as a literal credential or as a named secret, is found nowhere
//! in the database's columns, the API's responses or the logs, even at trace level and
//! even when a request that holds it is refused.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::common::{Admin, id};

const LITERAL: &str = "sk-literal-value-5f0c3a";
const NAMED: &str = "sk-named-value-9e72b1";

thread_local! {
    /// Where log lines written on this thread go, while a test captures them.
    static CAPTURE: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

/// Log lines written on one thread: the test's, whose runtime runs every task, the
/// server's included.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Captures this thread's log lines, at every level, from now on.
    fn start() -> Captured {
        // One subscriber for the whole test binary: a subscriber scoped to a thread misses
        // events whose callsites other tests' threads registered first.
        static GLOBAL: Once = Once::new();
        GLOBAL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(|| ThreadWriter)
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
        });
        let captured = Captured::default();
        CAPTURE.with(|capture| *capture.borrow_mut() = Some(captured.clone()));
        captured
    }

    fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Writes into this thread's capture, if it has one.
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|capture| {
            if let Some(captured) = capture.borrow().as_ref() {
                let mut buffer = captured
                    .0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                buffer.extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_absent(haystack: &str, what: &str) {
    for value in [LITERAL, NAMED] {
        let encoded = STANDARD.encode(value);
        assert!(
            !haystack.contains(value),
            "{value} found in {what}:\n{haystack}"
        );
        assert!(
            !haystack.contains(&encoded),
            "{value} (base64) found in {what}"
        );
    }
}

#[tokio::test]
async fn secret_values_are_nowhere_to_be_read() {
    let logs = Captured::start();
    let admin = Admin::start().await;
    let mut replies = Vec::new();
    let secret = admin
        .create("secrets", &json!({"name": "named", "value": NAMED}))
        .await;
    let provider = json!({
        "name": "openai",
        "provider_type": "openai",
        "config": {"api_key": {"type": "literal", "value": LITERAL}},
    });
    let created = admin.create("providers", &provider).await;
    let path = format!("/providers/{}", id(&created));
    replies.push(created.to_string());

    // Refusals holding the values: a wrong type, a duplicate, a clash with a reference.
    let refusals = [
        json!({"name": "x", "provider_type": "openai", "enabled": LITERAL}),
        json!({"name": "x", "provider_type": "openai", "config": {"timeout_ms": NAMED}}),
        provider.clone(),
        json!({"name": "y", "provider_type": "openai",
               "config": {"api_key": {"type": "literal", "value": LITERAL, "extra": NAMED}}}),
    ];
    for body in refusals {
        let refused = admin.post("/providers", &body).await;
        assert!(refused.status >= 400, "{}", refused.text());
        replies.push(refused.text());
    }
    let reference = json!({"config": {"api_key": {"type": "secret", "name": "named"}}});
    replies.push(admin.put(&path, &reference).await.text());
    replies.push(
        admin
            .delete(&format!("/secrets/{}", id(&secret)))
            .await
            .text(),
    );
    for read in ["/providers", &path, "/secrets"] {
        replies.push(admin.get(read).await.text());
    }

    assert_absent(&replies.join("\n"), "the API's responses");
    assert_absent(&admin.dump().await, "the database");
    admin.stop().await;
    assert!(
        logs.text().contains("management request"),
        "logs were captured"
    );
    assert_absent(&logs.text(), "the logs");
}

#[tokio::test]
async fn api_keys_reach_no_log_and_no_refusal() {
    const IMPORTED: &str = "imported-key-4b1d0c2e9f7a6b5c4d3e2f1a0b9c8d7e";
    const SHORT: &str = "hub-short-7f3e";
    let logs = Captured::start();
    let admin = Admin::start().await;
    let drawn = admin.create("api-keys", &json!({"name": "drawn"})).await;
    let drawn = drawn["key"].as_str().expect("the drawn key").to_owned();
    admin
        .create("api-keys", &json!({"name": "imported", "key": IMPORTED}))
        .await;

    let mut replies = Vec::new();
    for body in [
        json!({"name": "short", "key": SHORT}),
        json!({"name": "imported", "key": IMPORTED}),
        json!({"name": "again", "key": IMPORTED}),
        json!({"name": "typed", "enabled": IMPORTED}),
    ] {
        let refused = admin.post("/api-keys", &body).await;
        assert!(refused.status >= 400, "{}", refused.text());
        replies.push(refused.text());
    }
    replies.push(admin.get("/api-keys").await.text());
    admin.stop().await;

    let replies = replies.join("\n");
    let logs = logs.text();
    assert!(logs.contains("management request"), "logs were captured");
    for key in [drawn.as_str(), IMPORTED, SHORT] {
        assert!(
            !replies.contains(key),
            "{key} found in a response:\n{replies}"
        );
        assert!(!logs.contains(key), "{key} found in the logs:\n{logs}");
    }
}
