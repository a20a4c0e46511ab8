//! Writers at the same time: two changes that conflict end with one refused, never with
//! both applied or a configuration neither would have passed.

use http::Method;
use serde_json::json;

use crate::common::{Admin, id, model, openai_provider};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_updates_from_the_same_version_end_with_one_refused() {
    let admin = Admin::start().await;
    let provider = admin
        .create("providers", &openai_provider("openai", "sk"))
        .await;
    let path = format!("/providers/{}", id(&provider));

    for round in 1..=5 {
        let version = format!("\"{round}\"");
        let first = json!({"config": {"organization_id": "first"}, "version": round});
        let second = json!({"config": {"organization_id": "second"}});
        let if_match = [("if-match", version.as_str())];
        let (a, b) = tokio::join!(
            admin.put(&path, &first),
            admin.call(Method::PUT, &path, &if_match, Some(&second)),
        );

        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert!(
            statuses == [200, 409] || statuses == [200, 412],
            "round {round}: {} / {}",
            a.text(),
            b.text()
        );
        let winner = if a.status == 200 { "first" } else { "second" };
        let stored = admin.get(&path).await.json();
        assert_eq!(stored["config"]["organization_id"], winner);
        assert_eq!(stored["version"], round + 1);
    }
    admin.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_creations_of_one_name_end_with_one_refused() {
    let admin = Admin::start().await;

    let (one, other) = (openai_provider("same", "a"), openai_provider("same", "b"));
    let (a, b) = tokio::join!(
        admin.post("/providers", &one),
        admin.post("/providers", &other),
    );

    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", a.text(), b.text());
    assert_eq!(
        admin
            .get("/providers")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    admin.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_model_and_the_deletion_of_its_provider_never_both_happen() {
    let admin = Admin::start().await;

    for round in 0..5 {
        let name = format!("provider-{round}");
        let provider = id(&admin
            .create("providers", &openai_provider(&name, "sk"))
            .await);
        let key = format!("model-{round}");
        let body = model(&key, "gpt-4o", &provider);
        let path = format!("/providers/{provider}");
        let (created, deleted) =
            tokio::join!(admin.post("/model-definitions", &body), admin.delete(&path),);

        let both = (created.status, deleted.status);
        assert!(
            both == (201, 409) || both == (422, 204),
            "round {round}: {both:?} {} / {}",
            created.text(),
            deleted.text()
        );
    }
    admin.stop().await;
}
