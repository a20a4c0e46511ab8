//! Bad input: each refusal has its status and a JSON error naming the field, and changes
//! nothing.

use http::Method;
use serde_json::json;

use crate::common::{Admin, PREFIX, TOKEN, model, openai_provider};

/// The revision every change bumps, to show a refusal changed nothing.
async fn revision(admin: &Admin) -> i64 {
    let (client, connection) = tokio_postgres::connect(&admin.url, tokio_postgres::NoTls)
        .await
        .expect("a connection");
    tokio::spawn(connection);
    let row = client
        .query_one("SELECT revision FROM config_revision", &[])
        .await
        .expect("the revision reads");
    row.get(0)
}

#[tokio::test]
async fn every_management_route_needs_the_token_but_health() {
    let admin = Admin::start().await;
    let bearer = format!("Bearer {TOKEN}");
    let wrong = format!("Bearer {TOKEN}x");
    let basic = format!("Basic {TOKEN}");

    for collection in ["providers", "model-definitions", "pipelines", "secrets"] {
        let path = format!("{PREFIX}/{collection}");
        for headers in [
            vec![],
            vec![("authorization", wrong.as_str())],
            vec![("authorization", basic.as_str())],
        ] {
            let refused = admin.raw(Method::GET, &path, &headers, "").await;
            assert_eq!(refused.status, 401, "{path} {headers:?}");
            assert_eq!(refused.header("www-authenticate"), "Bearer");
            assert_eq!(refused.error()["field"], "Authorization");
        }
        let allowed = admin
            .raw(
                Method::GET,
                &path,
                &[("authorization", bearer.as_str())],
                "",
            )
            .await;
        assert_eq!(allowed.status, 200, "{path}");
    }

    let write = admin
        .raw(
            Method::POST,
            &format!("{PREFIX}/providers"),
            &[],
            openai_provider("p", "k").to_string(),
        )
        .await;
    assert_eq!(write.status, 401);
    assert_eq!(admin.get("/providers").await.json(), json!([]));

    let health = admin.raw(Method::GET, "/health", &[], "").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["database"], "reachable");
    admin.stop().await;
}

#[tokio::test]
async fn malformed_json_is_a_bad_request() {
    let admin = Admin::start().await;
    let before = revision(&admin).await;
    let bearer = format!("Bearer {TOKEN}");
    let auth = [("authorization", bearer.as_str())];

    let trailing = r#"{"name": "p", "provider_type": "openai"} trailing"#;
    for body in ["{\"name\": ", "not json", "", trailing] {
        let path = format!("{PREFIX}/providers");
        let refused = admin.raw(Method::POST, &path, &auth, body).await;
        assert_eq!(refused.status, 400, "{body:?}: {}", refused.text());
        assert_eq!(refused.error()["code"], "invalid_json");
        assert_eq!(refused.error()["field"], "body");
    }
    assert_eq!(revision(&admin).await, before);
    admin.stop().await;
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_names_the_field() {
    let admin = Admin::start().await;
    let seeded = admin.seed().await;
    let before = revision(&admin).await;
    let cases = [
        (
            "/providers",
            json!({"name": "p", "provider_type": "openai", "colour": 1}),
            "colour",
        ),
        (
            "/providers",
            json!({"name": "p", "provider_type": "gemini"}),
            "provider_type",
        ),
        ("/providers", json!({"provider_type": "openai"}), "name"),
        (
            "/providers",
            json!({"name": "p", "provider_type": "openai", "enabled": "yes"}),
            "enabled",
        ),
        (
            "/providers",
            json!({"name": "", "provider_type": "openai"}),
            "name",
        ),
        (
            "/providers",
            json!({"name": "p", "provider_type": "openai", "config": {"timeout_ms": "soon"}}),
            "config.timeout_ms",
        ),
        (
            "/providers",
            json!({"name": "p", "provider_type": "openai", "config": {"api_key": "sk-plain"}}),
            "config.api_key",
        ),
        (
            "/providers",
            json!({"name": "p", "provider_type": "openai",
                   "config": {"api_key": {"type": "vault", "path": "x"}}}),
            "config.api_key",
        ),
        (
            "/providers",
            json!({"name": "p", "provider_type": "openai", "config": {"base_url": "ftp://x"}}),
            "config.base_url",
        ),
        (
            "/model-definitions",
            json!({"key": "m", "model_type": "m", "provider_id": "nope"}),
            "provider_id",
        ),
        (
            "/pipelines",
            json!({"name": "p", "pipeline_type": "chat", "plugins": [{"plugin_type": "logging",
                   "bogus": true}]}),
            "plugins[0].bogus",
        ),
        ("/secrets", json!({"name": "s"}), "value"),
    ];

    for (path, body, field) in cases {
        let refused = admin.post(path, &body).await;
        assert_eq!(refused.status, 422, "{body}: {}", refused.text());
        let error = refused.error();
        assert_eq!(error["code"], "validation_failed", "{error}");
        let named = error["field"].as_str().unwrap_or_default();
        assert_eq!(named, field, "{body}: {error}");
    }
    let update = admin
        .put(
            &format!("/providers/{}", seeded.provider),
            &json!({"id": "x"}),
        )
        .await;
    assert_eq!(update.status, 422);
    assert_eq!(update.error()["field"], "id");

    assert_eq!(revision(&admin).await, before);
    admin.stop().await;
}

#[tokio::test]
async fn what_postgresql_cannot_keep_is_refused_and_the_largest_numbers_read_back() {
    let admin = Admin::start().await;
    let seeded = admin.seed().await;
    let before = revision(&admin).await;

    let mut nul = model("m", "gpt\u{0}4o", &seeded.provider);
    nul["config"] = json!({"deployment": "d"});
    let refused = admin.post("/model-definitions", &nul).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(refused.error()["field"], "model_type");

    // A write is stored and read back whole to be checked, which finds the unknown field.
    // jsonb hands the largest float back as 309 digits, which only a correctly rounding
    // parser (serde_json's `float_roundtrip`) reads back rather than failing with a 500.
    let mut largest = model("m", "gpt-4o", &seeded.provider);
    largest["config"] = json!({"colour": f64::MAX});
    let refused = admin.post("/model-definitions", &largest).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(refused.error()["field"], "config.colour");

    assert_eq!(revision(&admin).await, before);
    admin.stop().await;
}

#[tokio::test]
async fn a_missing_field_is_named() {
    let admin = Admin::start().await;

    let refused = admin
        .post("/providers", &json!({"provider_type": "openai"}))
        .await;

    assert_eq!(refused.status, 422);
    let error = refused.error();
    assert_eq!(error["message"], "name: missing field `name`");
    assert_eq!(error["field"], "name");
    admin.stop().await;
}

#[tokio::test]
async fn an_oversized_body_is_refused_unread() {
    let admin = Admin::start().await;
    let before = revision(&admin).await;
    let mut body = openai_provider("big", "sk");
    body["config"]["organization_id"] = json!("x".repeat(2 * 1024 * 1024));

    let refused = admin.post("/providers", &body).await;

    assert_eq!(refused.status, 413, "{}", refused.text());
    assert_eq!(refused.error()["code"], "request_too_large");
    assert_eq!(refused.error()["field"], "body");
    assert_eq!(revision(&admin).await, before);
    admin.stop().await;
}

#[tokio::test]
async fn unknown_routes_ids_and_methods() {
    let admin = Admin::start().await;
    let unknown_id = "/providers/3f1d1a9e-0000-4000-8000-000000000000";

    assert_eq!(admin.get("/widgets").await.status, 404);
    assert_eq!(admin.get(unknown_id).await.status, 404);
    assert_eq!(admin.get("/providers/not-a-uuid").await.status, 404);
    let put = admin.put(unknown_id, &json!({"enabled": false})).await;
    assert_eq!(put.status, 404);
    assert_eq!(put.error()["code"], "not_found");
    assert_eq!(admin.delete(unknown_id).await.status, 404);

    let patch = admin.call(Method::PATCH, "/providers", &[], None).await;
    assert_eq!(patch.status, 405);
    assert_eq!(patch.header("allow"), "GET, POST");
    let post_one = admin.call(Method::POST, unknown_id, &[], None).await;
    assert_eq!(post_one.header("allow"), "GET, PUT, DELETE");

    let bad_query = admin.get("/providers?page=2").await;
    assert_eq!(bad_query.status, 400);
    assert_eq!(bad_query.error()["field"], "page");
    let bad_limit = admin.get("/providers?limit=-1").await;
    assert_eq!(bad_limit.error()["field"], "limit");
    let bad_if_match = admin
        .call(Method::DELETE, unknown_id, &[("if-match", "three")], None)
        .await;
    assert_eq!(bad_if_match.status, 400);
    assert_eq!(bad_if_match.error()["field"], "If-Match");
    admin.stop().await;
}
