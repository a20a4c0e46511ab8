//! API keys through the management API: a key is shown once, when it is created, and stored
//! only as its SHA-256 digest; reads show its prefix; gateways following the database
//! accept it, and stop accepting it once it is disabled or deleted. The last key cannot be
//! deleted, as that would open the gateways.

use std::time::Duration;

use http::Method;
use hub_core::config::HubConfig;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{Admin, id};
use crate::follow::{follow, next};

const IMPORTED: &str = "imported-0123456789abcdef0123456789abcdef";

fn sha256_hex(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn key_of(created: &Value) -> String {
    created["key"].as_str().expect("the created key").to_owned()
}

/// The access keys a configuration holds, as (name, digest, enabled).
fn access_keys(config: &HubConfig) -> Vec<(String, String, bool)> {
    config
        .general
        .access_keys
        .iter()
        .map(|key| {
            assert_eq!(key.key, None, "a gateway gets digests only");
            let digest = key.key_sha256.clone().expect("a digest");
            (key.name.clone(), digest, key.enabled)
        })
        .collect()
}

#[tokio::test]
async fn a_created_key_is_shown_once_and_stored_as_its_digest() {
    let admin = Admin::start().await;

    let reply = admin.post("/api-keys", &json!({"name": "ci"})).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let created = reply.json();
    let key = key_of(&created);
    assert_eq!(
        reply.header("location"),
        format!("/api/v1/management/api-keys/{}", id(&created))
    );
    assert_eq!(reply.header("etag"), "\"1\"");
    assert!(key.starts_with("hub-") && key.len() == 47, "{key}");
    assert_eq!(created["key_prefix"], json!(&key[..12]));
    assert_eq!(created["name"], "ci");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["version"], 1);
    assert!(created["created_at"].is_string() && created["updated_at"].is_string());

    let list = admin.get("/api-keys").await;
    let one = admin.get(&format!("/api-keys/{}", id(&created))).await;
    for read in [&list, &one] {
        assert_eq!(read.status, 200);
        assert!(!read.text().contains(&key), "{}", read.text());
        assert!(!read.text().contains(&sha256_hex(&key)), "{}", read.text());
    }
    let listed = &list.json()[0];
    assert_eq!(listed["key_prefix"], created["key_prefix"]);
    assert_eq!(listed.get("key"), None);

    let dump = admin.dump().await;
    assert!(!dump.contains(&key), "the database holds the key");
    assert!(
        dump.contains(&sha256_hex(&key)),
        "the database holds its digest"
    );
    admin.stop().await;
}

#[tokio::test]
async fn two_created_keys_differ() {
    let admin = Admin::start().await;

    let first = admin.create("api-keys", &json!({"name": "a"})).await;
    let second = admin.create("api-keys", &json!({"name": "b"})).await;

    assert_ne!(key_of(&first), key_of(&second));
    admin.stop().await;
}

#[tokio::test]
async fn an_imported_key_is_hashed_on_receipt() {
    let admin = Admin::start().await;

    let created = admin
        .create("api-keys", &json!({"name": "legacy", "key": IMPORTED}))
        .await;
    assert_eq!(key_of(&created), IMPORTED);
    assert_eq!(created["key_prefix"], "imported");
    assert!(!admin.dump().await.contains(IMPORTED));

    let again = admin
        .post("/api-keys", &json!({"name": "again", "key": IMPORTED}))
        .await;
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.error()["field"], "key");
    assert!(!again.text().contains("legacy"), "{}", again.text());

    let short = "hub-short-key";
    let refused = admin
        .post("/api-keys", &json!({"name": "short", "key": short}))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(refused.error()["field"], "key");
    assert!(!refused.text().contains(short), "{}", refused.text());
    admin.stop().await;
}

#[tokio::test]
async fn names_are_required_and_unique() {
    let admin = Admin::start().await;
    admin.create("api-keys", &json!({"name": "ci"})).await;

    let taken = admin.post("/api-keys", &json!({"name": "ci"})).await;
    let empty = admin.post("/api-keys", &json!({"name": " "})).await;

    assert_eq!(taken.status, 409, "{}", taken.text());
    assert_eq!(taken.error()["field"], "name");
    assert_eq!(empty.status, 422, "{}", empty.text());
    assert_eq!(empty.error()["field"], "name");
    admin.stop().await;
}

#[tokio::test]
async fn an_update_renames_or_disables_and_never_changes_the_key() {
    let admin = Admin::start().await;
    let created = admin.create("api-keys", &json!({"name": "ci"})).await;
    let path = format!("/api-keys/{}", id(&created));

    let renamed = admin
        .put(&path, &json!({"name": "deploys", "enabled": false}))
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let renamed = renamed.json();
    assert_eq!(renamed["name"], "deploys");
    assert_eq!(renamed["enabled"], false);
    assert_eq!(renamed["version"], 2);
    assert_eq!(renamed["key_prefix"], created["key_prefix"]);

    let stale = admin
        .call(
            Method::PUT,
            &path,
            &[("if-match", "\"1\"")],
            Some(&json!({"enabled": true})),
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text());
    let rekeyed = admin.put(&path, &json!({"key": IMPORTED})).await;
    assert_eq!(rekeyed.status, 422, "{}", rekeyed.text());

    let last = admin.delete(&path).await;
    assert_eq!(last.status, 409, "{}", last.text());
    assert!(last.text().contains("last API key"), "{}", last.text());
    admin
        .create("api-keys", &json!({"name": "replacement"}))
        .await;
    assert_eq!(admin.delete(&path).await.status, 204);
    assert_eq!(admin.get(&path).await.status, 404);
    admin.stop().await;
}

#[tokio::test]
async fn gateways_follow_keys_created_disabled_and_deleted() {
    let admin = Admin::start().await;
    admin.seed().await;
    let mut configs = follow(&admin, Duration::from_secs(600)).await;
    let within = Duration::from_secs(2);

    let created = admin.create("api-keys", &json!({"name": "ci"})).await;
    let digest = sha256_hex(&key_of(&created));
    let config = next(&mut configs, within).await;
    let ci = |enabled| ("ci".to_owned(), digest.clone(), enabled);
    assert_eq!(access_keys(&config), [ci(true)]);

    // Disabled, the key stays listed so that the gateway stays closed.
    let path = format!("/api-keys/{}", id(&created));
    assert_eq!(
        admin.put(&path, &json!({"enabled": false})).await.status,
        200
    );
    assert_eq!(access_keys(&next(&mut configs, within).await), [ci(false)]);

    assert_eq!(
        admin.put(&path, &json!({"enabled": true})).await.status,
        200
    );
    assert_eq!(access_keys(&next(&mut configs, within).await), [ci(true)]);

    let spare = admin.create("api-keys", &json!({"name": "spare"})).await;
    let spare = ("spare".to_owned(), sha256_hex(&key_of(&spare)), true);
    assert_eq!(
        access_keys(&next(&mut configs, within).await),
        [ci(true), spare.clone()]
    );
    assert_eq!(admin.delete(&path).await.status, 204);
    assert_eq!(access_keys(&next(&mut configs, within).await), [spare]);
    admin.stop().await;
}

/// A configuration broken around the service refuses every write until it is mended,
/// deleting a key too: gateways keep serving the last good configuration, so a key deleted
/// from a broken one would go on opening them while reads say it is gone.
#[tokio::test]
async fn no_key_is_deleted_from_a_broken_configuration() {
    let admin = Admin::start().await;
    admin.seed().await;
    let doomed = admin.create("api-keys", &json!({"name": "doomed"})).await;
    admin.create("api-keys", &json!({"name": "spare"})).await;
    let path = format!("/api-keys/{}", id(&doomed));
    let sql = admin.sql().await;

    sql.batch_execute("UPDATE providers SET provider_type = 'nonsense'")
        .await
        .expect("the provider breaks");
    let refused = admin.delete(&path).await;
    assert_eq!(refused.status, 409, "{}", refused.text());
    let fault = &refused.error()["faults"][0];
    assert_eq!(fault["resource"]["name"], "openai", "{fault}");
    assert_eq!(admin.get(&path).await.status, 200);

    sql.batch_execute("UPDATE providers SET provider_type = 'openai'")
        .await
        .expect("the provider mends");
    assert_eq!(admin.delete(&path).await.status, 204);
    assert_eq!(admin.get(&path).await.status, 404);
    admin.stop().await;
}
