//! Secrecy in database mode: the management API's token, the key that seals secrets, a
//! literal credential and a `/secrets` row never show in the management API's answers, nor
//! in the logs, spans or answers of a gateway that reads them from the database and sends
//! them upstream, one of them refused and quoted back.

use http::Method;
use hub_testkit::postgres::TestDatabase;
use hub_testkit::{MockConfig, OpenAiMock};
use serde_json::{Value, json};

use super::client::{Call, send_all};
use super::markers::{PROMPT, find};
use super::stop;
use crate::admin::{ADMIN_TOKEN, AdminApi, SECRET_KEY, start_gateway_logging};

/// Accepted by the emulator, stored as a literal secret object.
const LITERAL_KEY: &str = "sk-mkr-db-literal-4e6a8c0e2a4c6e8a";
/// Refused by the emulator, which quotes it back; stored as a `/secrets` row.
const ROW_KEY: &str = "sk-mkr-db-secret-row-9b1d3f5a7c9e1b3d";
/// Presented to the management API instead of its token.
const WRONG_ADMIN_TOKEN: &str = "mkr-wrong-admin-token-0d2f4b6d8f0a2c4e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stored_credential_leaves_the_management_api_or_the_gateway() {
    let database = TestDatabase::create().await;
    let mock = OpenAiMock::start(MockConfig {
        api_key: Some(LITERAL_KEY.to_owned()),
        echo_credentials: true,
        ..MockConfig::default()
    })
    .await
    .expect("the emulator starts");
    let admin = AdminApi::start(database.url()).await;
    let mut management = seed(&admin, &mock.base_url()).await;

    let mut gateway = start_gateway_logging(database.url(), "trace");
    let calls = ["db-accepted", "db-refused"]
        .into_iter()
        .flat_map(|model| [Call::chat(model, false), Call::chat(model, true)])
        .collect();
    let answers = send_all(gateway.addr, calls).await;
    let statuses: Vec<(&str, u16)> = answers
        .iter()
        .map(|answer| (answer.label.as_str(), answer.status))
        .collect();
    assert!(
        statuses
            .iter()
            .all(|(label, status)| (*status == 200) == label.contains("db-accepted")),
        "{statuses:?}"
    );
    management.extend(read_back(&admin).await);
    let logs = stop(&mut gateway);
    assert!(
        logs.iter()
            .any(|line| line.contains("upstream answered 401"))
    );

    let secrets: Vec<(&str, String)> = [
        ("HUB_ADMIN_TOKEN", ADMIN_TOKEN),
        ("HUB_SECRET_KEY", SECRET_KEY),
        ("literal secret object", LITERAL_KEY),
        ("/secrets row", ROW_KEY),
        ("wrong admin token", WRONG_ADMIN_TOKEN),
    ]
    .into_iter()
    .map(|(what, value)| (what, value.to_owned()))
    .collect();
    let prompt = [("prompt", PROMPT.to_owned())];
    let mut leaks = Vec::new();
    for line in &logs {
        leaks.extend(find(&secrets, "the gateway's log", line));
        leaks.extend(find(&prompt, "the gateway's log", line));
    }
    for answer in &answers {
        leaks.extend(find(&secrets, &answer.label, &answer.text));
    }
    for (what, text) in &management {
        leaks.extend(find(&secrets, what, text));
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n\n")
    );
}

/// A `/secrets` row, two providers (one with a literal key, one naming the row), a model on
/// each and the default pipeline; returns every answer of the management API as text.
async fn seed(admin: &AdminApi, base_url: &str) -> Vec<(String, String)> {
    let mut answers = Vec::new();
    let mut create = async |path: &str, body: Value| {
        let (status, text) = admin.send_as(ADMIN_TOKEN, Method::POST, path, &body).await;
        assert_eq!(status, 201, "{text}");
        answers.push((format!("the answer to POST {path}"), text.clone()));
        let body = text.split_once('\n').map_or("", |(_, body)| body);
        serde_json::from_str::<Value>(body).expect("JSON")["id"].clone()
    };

    create("/secrets", json!({"name": "upstream", "value": ROW_KEY})).await;
    let literal = json!({"type": "literal", "value": LITERAL_KEY});
    let named = json!({"type": "secret", "name": "upstream"});
    for (name, api_key, model) in [
        ("db-literal", literal, "db-accepted"),
        ("db-row", named, "db-refused"),
    ] {
        let config = json!({"base_url": base_url, "api_key": api_key});
        let provider = json!({"name": name, "provider_type": "openai", "config": config});
        let id = create("/providers", provider).await;
        let model = json!({"key": model, "model_type": "gpt-4o", "provider_id": id});
        create("/model-definitions", model).await;
    }
    let router = json!({"models": ["db-accepted", "db-refused"],
                        "ejection": {"consecutive_failures": 0}});
    let pipeline = json!({"name": "default", "pipeline_type": "chat", "plugins": [
        {"plugin_type": "logging", "config_data": {"level": "trace"}},
        {"plugin_type": "model-router", "config_data": router}]});
    create("/pipelines", pipeline).await;
    answers
}

/// Every list the management API serves, and a request with the wrong token.
async fn read_back(admin: &AdminApi) -> Vec<(String, String)> {
    let mut answers = Vec::new();
    for path in ["/providers", "/model-definitions", "/pipelines", "/secrets"] {
        let (status, text) = admin
            .send_as(ADMIN_TOKEN, Method::GET, path, &json!({}))
            .await;
        assert_eq!(status, 200, "{text}");
        answers.push((format!("the answer to GET {path}"), text));
    }
    let (status, text) = admin
        .send_as(WRONG_ADMIN_TOKEN, Method::GET, "/secrets", &json!({}))
        .await;
    assert_eq!(status, 401, "{text}");
    answers.push(("the refusal of a wrong token".to_owned(), text));
    answers
}
