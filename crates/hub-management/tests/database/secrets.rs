//! `/secrets`: values go in sealed and never come out; credentials name them, and a secret
//! a credential names cannot go away.

use serde_json::json;

use crate::common::{Admin, id};

const VALUE: &str = "sk-named-secret-8675309";

fn provider_naming(secret: &str) -> serde_json::Value {
    json!({
        "name": "openai",
        "provider_type": "openai",
        "config": {"api_key": {"type": "secret", "name": secret}},
    })
}

#[tokio::test]
async fn a_secret_is_created_listed_rotated_and_deleted_without_showing_its_value() {
    let admin = Admin::start().await;

    let created = admin
        .create("secrets", &json!({"name": "openai-key", "value": VALUE}))
        .await;
    assert_eq!(created["name"], "openai-key");
    assert!(created["key_id"].as_str().unwrap().starts_with('k'));
    assert!(created.get("value").is_none(), "{created}");
    let path = format!("/secrets/{}", id(&created));

    let read = admin.get(&path).await;
    let list = admin.get("/secrets").await;
    let updated = admin.put(&path, &json!({"value": "sk-next-value"})).await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    assert_eq!(updated.json()["version"], 2);
    for reply in [&read, &list, &updated] {
        assert!(!reply.text().contains(VALUE), "{}", reply.text());
        assert!(!reply.text().contains("sk-next-value"), "{}", reply.text());
    }

    assert_eq!(admin.delete(&path).await.status, 204);
    assert_eq!(admin.get(&path).await.status, 404);
    admin.stop().await;
}

#[tokio::test]
async fn a_credential_must_name_an_existing_secret() {
    let admin = Admin::start().await;

    let refused = admin.post("/providers", &provider_naming("nowhere")).await;

    assert_eq!(refused.status, 422, "{}", refused.text());
    let error = refused.error();
    assert_eq!(error["field"], "config.api_key");
    assert_eq!(error["faults"][0]["message"], "no secret named \"nowhere\"");
    admin.stop().await;
}

#[tokio::test]
async fn a_secret_a_credential_names_cannot_be_deleted_or_renamed() {
    let admin = Admin::start().await;
    let secret = admin
        .create("secrets", &json!({"name": "openai-key", "value": VALUE}))
        .await;
    admin
        .create("providers", &provider_naming("openai-key"))
        .await;
    let path = format!("/secrets/{}", id(&secret));

    let deleted = admin.delete(&path).await;
    let renamed = admin.put(&path, &json!({"name": "other"})).await;

    for refused in [deleted, renamed] {
        assert_eq!(refused.status, 409, "{}", refused.text());
        let fault = &refused.error()["faults"][0];
        assert_eq!(fault["resource"]["type"], "providers");
        assert_eq!(fault["field"], "config.api_key");
    }
    assert_eq!(admin.get(&path).await.json()["name"], "openai-key");
    admin.stop().await;
}

#[tokio::test]
async fn an_empty_or_duplicate_secret_is_refused() {
    let admin = Admin::start().await;
    admin
        .create("secrets", &json!({"name": "a", "value": "v"}))
        .await;

    let empty = admin
        .post("/secrets", &json!({"name": "b", "value": ""}))
        .await;
    assert_eq!(empty.status, 422, "{}", empty.text());
    assert_eq!(empty.error()["field"], "value");

    let duplicate = admin
        .post("/secrets", &json!({"name": "a", "value": "v"}))
        .await;
    assert_eq!(duplicate.status, 409, "{}", duplicate.text());
    assert_eq!(duplicate.error()["field"], "name");
    admin.stop().await;
}
