//! `GET /v1/models` and `GET /v1/models/{id}`.

use serde_json::json;

use crate::client;

#[tokio::test]
async fn the_list_holds_every_configured_model() {
    let mock = client::mock().await;

    let body = client::get(&mock, "/v1/models").await.json();

    assert_eq!(body["object"], "list");
    let ids: Vec<&str> = body["data"]
        .as_array()
        .expect("a data array")
        .iter()
        .map(|model| model["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(ids, hub_testkit::DEFAULT_MODELS);
    let first = &body["data"][0];
    assert_eq!(first["object"], "model");
    assert_eq!(first["owned_by"], "system");
    assert!(first["created"].is_u64());
}

#[tokio::test]
async fn one_model_is_retrieved_by_id() {
    let mock = client::mock().await;

    let found = client::get(&mock, "/v1/models/gpt-4o-mini").await;
    let missing = client::get(&mock, "/v1/models/gpt-9").await;

    assert_eq!(found.status, 200);
    assert_eq!(found.json()["id"], "gpt-4o-mini");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error()["code"], json!("model_not_found"));
}
