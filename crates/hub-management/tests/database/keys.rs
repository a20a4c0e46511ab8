//! The schema applies once, and keys rotate: values sealed under a previous key are sealed
//! again under the current one, after which the previous key is not needed.

use std::collections::BTreeMap;
use std::sync::Arc;

use hub_management::{Database, DatabaseSource, Keyring, Management};
use hub_testkit::postgres::TestDatabase;
use serde_json::json;

use crate::common::{Admin, KEY, NEW_KEY};

#[tokio::test]
async fn migrations_apply_once() {
    let database = TestDatabase::create().await;
    let pool = Database::connect(database.url(), 2).expect("a pool");

    let first = pool.migrate().await.expect("the migrations apply");
    let again = pool.migrate().await.expect("nothing is left to apply");

    let known = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
        .expect("the migrations directory")
        .count();
    assert!(known > 0);
    assert_eq!(first, known);
    assert_eq!(again, 0);
    pool.ping().await.expect("the database answers");
}

#[tokio::test]
async fn rotation_seals_every_value_under_the_new_key() {
    let admin = Admin::start().await;
    admin.seed().await;
    admin
        .create("secrets", &json!({"name": "named", "value": "sk-named"}))
        .await;
    let tracing = json!({"name": "traced", "pipeline_type": "chat", "plugins": [
        {"plugin_type": "tracing", "config_data": {"endpoint": "http://c:4318",
            "api_key": {"type": "literal", "value": "collector"}}},
        {"plugin_type": "model-router", "config_data": {"models": ["gpt-4o"]}}]});
    admin.create("pipelines", &tracing).await;

    let rotated = Keyring::new(NEW_KEY, &[KEY]).expect("a keyring");
    let management = Management::new(admin.database.clone(), Arc::new(rotated));
    let report = management
        .rotate_keys()
        .await
        .expect("the rotation succeeds");
    assert_eq!((report.secrets, report.credentials), (1, 2));
    let again = management
        .rotate_keys()
        .await
        .expect("a second rotation succeeds");
    assert_eq!((again.secrets, again.credentials), (0, 0));

    let new_only = Arc::new(Keyring::new(NEW_KEY, &[]).expect("a keyring"));
    let env = Box::new(BTreeMap::<String, String>::new());
    let source = DatabaseSource::new(admin.database.clone(), new_only, env);
    let config = source
        .load()
        .await
        .expect("the new key alone opens everything")
        .config;
    assert_eq!(config.providers[0].api_key.as_deref(), Some("sk-seed"));

    let secret = admin.get("/secrets").await.json();
    let new_id = Keyring::new(NEW_KEY, &[])
        .unwrap()
        .current_key_id()
        .to_owned();
    assert_eq!(secret[0]["key_id"], new_id.as_str());
    admin.stop().await;
}

#[tokio::test]
async fn rotation_without_the_old_key_changes_nothing() {
    let admin = Admin::start().await;
    admin.seed().await;
    let before = admin.dump().await;

    let forgetful = Keyring::new(NEW_KEY, &[]).expect("a keyring");
    let management = Management::new(admin.database.clone(), Arc::new(forgetful));
    let error = management.rotate_keys().await.unwrap_err();

    assert!(
        error
            .to_string()
            .contains(r#"provider "openai" config.api_key"#),
        "{error}"
    );
    assert_eq!(admin.dump().await, before);
    admin.stop().await;
}
