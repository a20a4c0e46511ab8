//! The Azure OpenAI emulator: its URLs, auth, API versions, filter annotations and refusals.

use bytes::Bytes;
use http::Method;
use hub_testkit::{AzureMock, AzureMockConfig, CONTENT_FILTER_TRIGGER};
use serde_json::{Value, json};

use crate::client::{Reply, chat_body, send};

const KEY: &str = "azure-test-key";
const CHAT: &str = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";

async fn mock() -> AzureMock {
    AzureMock::start(AzureMockConfig {
        api_key: Some(KEY.to_owned()),
        ad_token: Some("entra-token".to_owned()),
        ..AzureMockConfig::default()
    })
    .await
    .expect("the mock starts")
}

async fn post_with(mock: &AzureMock, path: &str, auth: (&str, &str), body: &Value) -> Reply {
    let headers = [auth, ("content-type", "application/json")];
    let body = Bytes::from(body.to_string());
    send(mock.addr(), Method::POST, path, &headers, body).await
}

async fn post(mock: &AzureMock, path: &str, body: &Value) -> Reply {
    post_with(mock, path, ("api-key", KEY), body).await
}

#[tokio::test]
async fn a_chat_answers_with_the_deployments_model_and_filter_results() {
    let mock = mock().await;

    let reply = post(&mock, CHAT, &chat_body("anything", "Hello")).await;

    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let body = reply.json();
    assert_eq!(body["model"], "gpt-4o-2024-08-06");
    assert_eq!(body["choices"][0]["message"]["content"], "Echo: Hello");
    assert_eq!(
        body["prompt_filter_results"][0]["content_filter_results"]["hate"]["severity"],
        "safe"
    );
    assert!(body["choices"][0]["content_filter_results"].is_object());
}

#[tokio::test]
async fn an_entra_token_is_accepted_as_a_bearer() {
    let mock = mock().await;

    let reply = post_with(
        &mock,
        CHAT,
        ("authorization", "Bearer entra-token"),
        &chat_body("m", "x"),
    )
    .await;

    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn a_wrong_key_a_missing_version_and_an_unknown_deployment_are_refused() {
    let mock = mock().await;
    let body = chat_body("m", "x");

    let wrong_key = post_with(&mock, CHAT, ("api-key", "nope"), &body).await;
    assert_eq!(wrong_key.status, 401);
    assert_eq!(wrong_key.error()["code"], "401");

    let no_version = post(&mock, "/openai/deployments/gpt-4o/chat/completions", &body).await;
    assert_eq!(no_version.status, 404);
    assert_eq!(no_version.error()["message"], "Resource not found");

    let path = "/openai/deployments/gpt-5/chat/completions?api-version=2024-10-21";
    let unknown = post(&mock, path, &body).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.error()["code"], "DeploymentNotFound");
}

#[tokio::test]
async fn ga_versions_refuse_the_developer_role() {
    let mock = mock().await;
    let body = json!({"messages": [{"role": "developer", "content": "Be terse."},
                                   {"role": "user", "content": "x"}]});

    let refused = post(&mock, CHAT, &body).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.error()["param"], "messages[0].role");

    let path = "/openai/deployments/gpt-4o/chat/completions?api-version=2025-01-01-preview";
    assert_eq!(post(&mock, path, &body).await.status, 200);
}

#[tokio::test]
async fn a_filtered_prompt_gets_azures_content_filter_error() {
    let mock = mock().await;

    let reply = post(&mock, CHAT, &chat_body("m", CONTENT_FILTER_TRIGGER)).await;

    assert_eq!(reply.status, 400);
    let error = reply.error();
    assert_eq!(error["code"], "content_filter");
    assert_eq!(error["type"], Value::Null);
    assert_eq!(error["innererror"]["code"], "ResponsibleAIPolicyViolation");
}

#[tokio::test]
async fn a_stream_opens_with_a_prompt_filter_chunk_and_has_choices_without_delta() {
    let mock = mock().await;
    let mut body = chat_body("m", "one two");
    body["stream"] = json!(true);

    let reply = post(&mock, CHAT, &body).await;

    let mut events = reply.events();
    assert_eq!(events.pop().as_deref(), Some("[DONE]"));
    let chunks: Vec<Value> = events
        .iter()
        .map(|event| serde_json::from_str(event).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"], json!([]));
    assert_eq!(chunks[0]["id"], "");
    assert!(chunks[0]["prompt_filter_results"].is_array());
    assert!(
        chunks
            .iter()
            .any(|chunk| chunk["choices"][0].is_object()
                && chunk["choices"][0].get("delta").is_none())
    );
    let text: String = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Echo: one two");
}

#[tokio::test]
async fn legacy_completions_and_embeddings_are_served_per_deployment() {
    let mock = mock().await;

    let path = "/openai/deployments/gpt-35-turbo-instruct/completions?api-version=2024-10-21";
    let completion = post(&mock, path, &json!({"prompt": "Say this"})).await;
    assert_eq!(completion.status, 200, "{:?}", completion.body);
    assert_eq!(completion.json()["model"], "gpt-3.5-turbo-instruct");

    let path = "/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21";
    let embeddings = post(&mock, path, &json!({"input": ["a", "b"]})).await;
    assert_eq!(embeddings.status, 200, "{:?}", embeddings.body);
    assert_eq!(embeddings.json()["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn echo_credentials_quotes_a_wrong_key_or_token_whole() {
    let mock = AzureMock::start(AzureMockConfig {
        api_key: Some(KEY.to_owned()),
        echo_credentials: true,
        ..AzureMockConfig::default()
    })
    .await
    .expect("the mock starts");
    let body = chat_body("m", "x");

    for auth in [
        ("api-key", "wrong-key-1"),
        ("authorization", "Bearer wrong-token-2"),
    ] {
        let reply = post_with(&mock, CHAT, auth, &body).await;
        assert_eq!(reply.status, 401);
        let message = reply.error()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let presented = auth.1.trim_start_matches("Bearer ");
        assert!(
            message.ends_with(&format!("Presented: {presented}")),
            "{message}"
        );
    }
}
