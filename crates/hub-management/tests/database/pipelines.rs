//! `/pipelines`: plugins kept in the order given, replaced whole on update, and checked as
//! the YAML loader checks them.

use serde_json::json;

use crate::common::{Admin, chat_pipeline, id};

#[tokio::test]
async fn a_pipeline_is_created_read_updated_and_deleted() {
    let admin = Admin::start().await;
    admin.seed().await;
    let body = json!({
        "name": "fast",
        "pipeline_type": "chat",
        "description": "low latency",
        "plugins": [
            {"plugin_type": "model-router", "config_data": {"models": ["gpt-4o"]},
             "order_in_pipeline": 2},
            {"plugin_type": "logging", "config_data": {"level": "debug"},
             "order_in_pipeline": 1, "enabled": false},
        ],
    });

    let created = admin.create("pipelines", &body).await;
    assert_eq!(created["description"], "low latency");
    let plugins = &created["plugins"];
    assert_eq!(plugins[0]["plugin_type"], "model-router");
    assert_eq!(plugins[0]["order_in_pipeline"], 2);
    assert_eq!(plugins[0]["enabled"], true);
    assert_eq!(plugins[1]["plugin_type"], "logging");
    assert_eq!(plugins[1]["enabled"], false);
    let path = format!("/pipelines/{}", id(&created));
    assert_eq!(admin.get(&path).await.json(), created);

    let replaced = json!({"plugins": [
        {"plugin_type": "model-router", "config_data": {"models": ["gpt-4o"],
                                                          "strategy": "ordered_fallback"}},
    ]});
    let updated = admin.put(&path, &replaced).await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    let updated = updated.json();
    assert_eq!(updated["plugins"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        updated["plugins"][0]["config_data"]["strategy"],
        "ordered_fallback"
    );
    assert_eq!(updated["description"], "low latency");

    assert_eq!(admin.delete(&path).await.status, 204);
    assert_eq!(admin.get(&path).await.status, 404);
    admin.stop().await;
}

#[tokio::test]
async fn a_pipeline_on_a_missing_model_is_refused() {
    let admin = Admin::start().await;
    admin.seed().await;

    let refused = admin
        .post("/pipelines", &chat_pipeline("other", &["gpt-4o", "gpt-5"]))
        .await;

    assert_eq!(refused.status, 422, "{}", refused.text());
    let error = refused.error();
    assert_eq!(error["field"], "plugins[1].config_data.models[1]");
    assert_eq!(error["faults"][0]["message"], "no model named \"gpt-5\"");
    assert!(error["faults"][0].get("resource").is_none());
    admin.stop().await;
}

#[tokio::test]
async fn plugin_settings_are_validated_as_in_a_file() {
    let admin = Admin::start().await;
    admin.seed().await;
    let cases = [
        // No model router: nothing would answer.
        (json!([{"plugin_type": "logging"}]), "plugins"),
        (
            json!([{"plugin_type": "model-router", "config_data": {"models": ["gpt-4o"]}},
                   {"plugin_type": "model-router", "config_data": {"models": ["gpt-4o"]}}]),
            "plugins[1]",
        ),
        (
            json!([{"plugin_type": "model-router",
                    "config_data": {"models": ["gpt-4o"], "strategy": "fastest"}}]),
            "plugins[0].config_data.strategy",
        ),
        (
            json!([{"plugin_type": "model-router",
                    "config_data": {"models": ["gpt-4o"], "retry": {"max_retries": "two"}}}]),
            "plugins[0].config_data.retry.max_retries",
        ),
        (json!([{"plugin_type": "cache"}]), "plugins[0].plugin_type"),
        (
            json!([{"plugin_type": "model-router", "config_data": {"models": ["gpt-4o"]}},
                   {"plugin_type": "tracing",
                    "config_data": {"endpoint": "http://c:4318", "api_key": "plain"}}]),
            "plugins[1].config_data.api_key",
        ),
    ];

    for (plugins, field) in cases {
        let body = json!({"name": "p", "pipeline_type": "chat", "plugins": plugins});
        let refused = admin.post("/pipelines", &body).await;
        assert_eq!(refused.status, 422, "{plugins}: {}", refused.text());
        assert_eq!(refused.error()["field"], field, "{}", refused.text());
    }
    assert_eq!(
        admin
            .get("/pipelines")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    admin.stop().await;
}

#[tokio::test]
async fn a_tracing_key_is_sealed_and_masked() {
    let admin = Admin::start().await;
    admin.seed().await;
    let body = json!({"name": "traced", "pipeline_type": "chat", "plugins": [
        {"plugin_type": "tracing", "config_data": {
            "endpoint": "http://collector:4318",
            "api_key": {"type": "literal", "value": "collector-key-31337"}}},
        {"plugin_type": "model-router", "config_data": {"models": ["gpt-4o"]}},
    ]});

    let created = admin.create("pipelines", &body).await;

    assert_eq!(
        created["plugins"][0]["config_data"]["api_key"],
        json!({"type": "literal", "value": "********"})
    );
    assert!(!admin.dump().await.contains("collector-key-31337"));
    admin.stop().await;
}

#[tokio::test]
async fn a_duplicate_name_is_a_conflict() {
    let admin = Admin::start().await;
    admin.seed().await;

    let refused = admin
        .post("/pipelines", &chat_pipeline("default", &["gpt-4o"]))
        .await;

    assert_eq!(refused.status, 409, "{}", refused.text());
    assert_eq!(refused.error()["field"], "name");
    admin.stop().await;
}
