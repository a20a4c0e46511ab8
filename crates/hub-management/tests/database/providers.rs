//! `/providers`: create, read, list, update and delete, with credentials masked on the way
//! out and versions guarding every change.

use http::Method;
use serde_json::json;

use crate::common::{Admin, id, model, openai_provider};

#[tokio::test]
async fn a_provider_is_created_read_updated_and_deleted() {
    let admin = Admin::start().await;

    let created = admin
        .post("/providers", &openai_provider("openai", "sk-one"))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let provider = created.json();
    let path = format!("/providers/{}", id(&provider));
    assert_eq!(
        created.header("location"),
        format!("/api/v1/management{path}")
    );
    assert_eq!(created.header("etag"), "\"1\"");
    assert_eq!(provider["name"], "openai");
    assert_eq!(provider["provider_type"], "openai");
    assert_eq!(provider["enabled"], true);
    assert_eq!(provider["version"], 1);
    assert!(provider["created_at"].is_string() && provider["updated_at"].is_string());

    let read = admin.get(&path).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), provider);

    let changes = json!({"config": {
        "api_key": {"type": "literal", "value": "sk-two"},
        "organization_id": "org-1",
        "timeout_ms": 30000
    }});
    let updated = admin.put(&path, &changes).await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    let updated = updated.json();
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["name"], "openai",
        "fields left out keep their value"
    );
    assert_eq!(updated["config"]["organization_id"], "org-1");
    assert_eq!(updated["config"]["timeout_ms"], 30000);

    assert_eq!(admin.delete(&path).await.status, 204);
    assert_eq!(admin.get(&path).await.status, 404);
    admin.stop().await;
}

#[tokio::test]
async fn literal_credentials_read_back_masked_and_references_as_given() {
    let admin = Admin::start().await;
    let body = json!({
        "name": "bedrock",
        "provider_type": "bedrock",
        "config": {
            "region": "us-east-1",
            "aws_access_key_id": {"type": "environment", "variable_name": "AWS_KEY_ID"},
            "aws_secret_access_key": {"type": "literal", "value": "wJalrXUtnFEMI"},
        },
    });

    let provider = admin.create("providers", &body).await;

    let config = &provider["config"];
    assert_eq!(
        config["aws_secret_access_key"],
        json!({"type": "literal", "value": "********"})
    );
    assert_eq!(
        config["aws_access_key_id"],
        json!({"type": "environment", "variable_name": "AWS_KEY_ID"})
    );
    assert_eq!(config["region"], "us-east-1");
    admin.stop().await;
}

#[tokio::test]
async fn the_mask_sent_back_keeps_the_stored_value() {
    let admin = Admin::start().await;
    let provider = admin
        .create("providers", &openai_provider("openai", "sk-keep"))
        .await;
    let path = format!("/providers/{}", id(&provider));
    let sealed_before = admin.dump().await;

    // What a client read, sent back with one setting changed.
    let mut config = provider["config"].clone();
    config["organization_id"] = json!("org-2");
    let updated = admin.put(&path, &json!({"config": config})).await;

    assert_eq!(updated.status, 200, "{}", updated.text());
    assert_eq!(updated.json()["config"]["organization_id"], "org-2");
    let ciphertext = |dump: &str| {
        let (_, after) = dump
            .split_once("\"ciphertext\": \"")
            .expect("a sealed value");
        after.split('"').next().expect("its end").to_owned()
    };
    assert_eq!(ciphertext(&admin.dump().await), ciphertext(&sealed_before));
    admin.stop().await;
}

#[tokio::test]
async fn lists_page_by_name_with_a_link_to_the_next_page() {
    let admin = Admin::start().await;
    for name in ["delta", "alpha", "charlie", "bravo", "echo"] {
        admin
            .create("providers", &openai_provider(name, "sk"))
            .await;
    }

    let first = admin.get("/providers?limit=2").await;
    assert_eq!(first.status, 200);
    let names = |reply: &crate::common::Reply| -> Vec<String> {
        let list = reply.json();
        let items = list.as_array().expect("a JSON array");
        items
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&first), ["alpha", "bravo"]);
    let link = first.header("link");
    assert_eq!(
        link,
        "</api/v1/management/providers?after=bravo&limit=2>; rel=\"next\""
    );

    let second = admin.get("/providers?after=bravo&limit=2").await;
    assert_eq!(names(&second), ["charlie", "delta"]);
    let last = admin.get("/providers?after=delta&limit=2").await;
    assert_eq!(names(&last), ["echo"]);
    assert!(last.headers.get("link").is_none());

    let all = admin.get("/providers").await;
    assert_eq!(names(&all).len(), 5);
    admin.stop().await;
}

#[tokio::test]
async fn if_match_guards_updates_and_deletes() {
    let admin = Admin::start().await;
    let provider = admin
        .create("providers", &openai_provider("openai", "sk"))
        .await;
    let path = format!("/providers/{}", id(&provider));
    let rename = json!({"name": "renamed"});

    let stale = admin
        .call(Method::PUT, &path, &[("if-match", "\"7\"")], Some(&rename))
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text());
    assert_eq!(stale.error()["code"], "version_mismatch");

    let fresh = admin
        .call(Method::PUT, &path, &[("if-match", "\"1\"")], Some(&rename))
        .await;
    assert_eq!(fresh.status, 200, "{}", fresh.text());
    assert_eq!(fresh.header("etag"), "\"2\"");

    let body_version = admin
        .put(&path, &json!({"enabled": false, "version": 1}))
        .await;
    assert_eq!(body_version.status, 409, "{}", body_version.text());
    assert_eq!(body_version.error()["field"], "version");

    let delete_stale = admin
        .call(Method::DELETE, &path, &[("if-match", "\"1\"")], None)
        .await;
    assert_eq!(delete_stale.status, 412);
    let delete = admin
        .call(Method::DELETE, &path, &[("if-match", "\"2\"")], None)
        .await;
    assert_eq!(delete.status, 204);
    admin.stop().await;
}

#[tokio::test]
async fn a_provider_that_serves_models_cannot_be_deleted() {
    let admin = Admin::start().await;
    let provider = admin
        .create("providers", &openai_provider("openai", "sk"))
        .await;
    let provider_id = id(&provider);
    admin
        .create(
            "model-definitions",
            &model("gpt-4o", "gpt-4o", &provider_id),
        )
        .await;

    let refused = admin.delete(&format!("/providers/{provider_id}")).await;

    assert_eq!(refused.status, 409, "{}", refused.text());
    let error = refused.error();
    assert_eq!(error["faults"][0]["resource"]["type"], "model-definitions");
    assert_eq!(error["faults"][0]["resource"]["name"], "gpt-4o");
    assert_eq!(error["faults"][0]["field"], "provider_id");
    assert_eq!(
        admin.get(&format!("/providers/{provider_id}")).await.status,
        200
    );
    admin.stop().await;
}

#[tokio::test]
async fn disabling_a_provider_its_enabled_models_use_is_a_conflict() {
    let admin = Admin::start().await;
    let seeded = admin.seed().await;
    let path = format!("/providers/{}", seeded.provider);

    let refused = admin.put(&path, &json!({"enabled": false})).await;

    assert_eq!(refused.status, 409, "{}", refused.text());
    let fault = &refused.error()["faults"][0];
    assert_eq!(fault["resource"]["name"], "gpt-4o");
    assert!(
        fault["message"].as_str().unwrap().contains("is disabled"),
        "{fault}"
    );
    assert_eq!(admin.get(&path).await.json()["enabled"], true);
    admin.stop().await;
}
