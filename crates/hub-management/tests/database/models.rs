//! `/model-definitions`: each on an existing provider, checked with it, and never pulled
//! from under a pipeline that routes to it.

use serde_json::json;

use crate::common::{Admin, id, model, openai_provider};

#[tokio::test]
async fn a_model_definition_is_created_read_updated_and_deleted() {
    let admin = Admin::start().await;
    let provider = id(&admin
        .create("providers", &openai_provider("openai", "sk"))
        .await);

    // `config_details` is what the original Hub's clients send.
    let body = json!({
        "key": "gpt-4o",
        "model_type": "gpt-4o",
        "provider_id": provider,
        "config_details": {"timeout_ms": 20000},
    });
    let created = admin.create("model-definitions", &body).await;
    assert_eq!(created["provider_id"], provider.as_str());
    assert_eq!(created["config"], json!({"timeout_ms": 20000}));
    let path = format!("/model-definitions/{}", id(&created));

    let read = admin.get(&path).await;
    assert_eq!(read.json(), created);

    let updated = admin
        .put(&path, &json!({"model_type": "gpt-4o-2024-11-20"}))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    assert_eq!(updated.json()["model_type"], "gpt-4o-2024-11-20");
    assert_eq!(updated.json()["key"], "gpt-4o");

    let list = admin.get("/model-definitions").await.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    assert_eq!(admin.delete(&path).await.status, 204);
    assert_eq!(admin.get(&path).await.status, 404);
    admin.stop().await;
}

#[tokio::test]
async fn a_model_on_a_missing_provider_is_refused() {
    let admin = Admin::start().await;
    let missing = "7d3c2f0e-0000-4000-8000-000000000000";

    let refused = admin
        .post("/model-definitions", &model("m", "m", missing))
        .await;

    assert_eq!(refused.status, 422, "{}", refused.text());
    let error = refused.error();
    assert_eq!(error["field"], "provider_id");
    assert!(
        error["message"].as_str().unwrap().contains(missing),
        "{error}"
    );
    assert_eq!(admin.get("/model-definitions").await.json(), json!([]));
    admin.stop().await;
}

#[tokio::test]
async fn a_duplicate_key_is_a_conflict() {
    let admin = Admin::start().await;
    let seeded = admin.seed().await;

    let refused = admin
        .post(
            "/model-definitions",
            &model("gpt-4o", "other", &seeded.provider),
        )
        .await;

    assert_eq!(refused.status, 409, "{}", refused.text());
    assert_eq!(refused.error()["field"], "key");
    admin.stop().await;
}

#[tokio::test]
async fn a_model_a_pipeline_routes_to_cannot_be_deleted_or_renamed() {
    let admin = Admin::start().await;
    let seeded = admin.seed().await;
    let path = format!("/model-definitions/{}", seeded.model);

    let deleted = admin.delete(&path).await;
    let renamed = admin.put(&path, &json!({"key": "gpt-4o-renamed"})).await;
    let disabled = admin.put(&path, &json!({"enabled": false})).await;

    for refused in [&deleted, &renamed, &disabled] {
        assert_eq!(refused.status, 409, "{}", refused.text());
        let fault = &refused.error()["faults"][0];
        assert_eq!(fault["resource"]["type"], "pipelines");
        assert_eq!(fault["resource"]["name"], "default");
        assert_eq!(fault["field"], "plugins[1].config_data.models[0]");
    }
    let kept = admin.get(&path).await.json();
    assert_eq!(
        (kept["key"].as_str(), kept["enabled"].as_bool()),
        (Some("gpt-4o"), Some(true))
    );
    admin.stop().await;
}

#[tokio::test]
async fn a_model_of_an_azure_provider_needs_its_deployment() {
    let admin = Admin::start().await;
    let azure = json!({
        "name": "azure",
        "provider_type": "azure",
        "config": {
            "api_key": {"type": "literal", "value": "az"},
            "resource_name": "r",
            "api_version": "2024-10-21",
        },
    });
    let provider = id(&admin.create("providers", &azure).await);

    let refused = admin
        .post("/model-definitions", &model("m", "gpt-4o", &provider))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(refused.error()["field"], "config.deployment");

    let mut body = model("m", "gpt-4o", &provider);
    body["config"] = json!({"deployment": "prod", "colour": "blue"});
    let unknown = admin.post("/model-definitions", &body).await;
    assert_eq!(unknown.status, 422, "{}", unknown.text());
    assert_eq!(unknown.error()["field"], "config.colour");
    admin.stop().await;
}
