//! Database mode: the binary follows changes made through the management API within a
//! second while serving, fails no request while it does, keeps serving through a database
//! outage, and never logs a credential.

use std::time::{Duration, Instant};

use http::Method;
use hub_testkit::postgres::{Cluster, TestDatabase};
use hub_testkit::{MockConfig, OpenAiMock};
use serde_json::{Value, json};

use crate::admin::{
    AdminApi, Outcome, SECRET_KEY, Traffic, UPSTREAM_KEY, drain_logs, start_gateway, wait_for_log,
};
use crate::common::{GatewayProcess, mock_config};

async fn mock() -> OpenAiMock {
    OpenAiMock::start(MockConfig {
        api_key: Some(UPSTREAM_KEY.to_owned()),
        ..MockConfig::default()
    })
    .await
    .expect("the emulator starts")
}

fn assert_none_failed(outcomes: &[Outcome]) {
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.status != 200).collect();
    assert!(
        failed.is_empty(),
        "{} of {} failed: {failed:?}",
        failed.len(),
        outcomes.len()
    );
}

fn assert_no_credential(lines: &[Value]) {
    for line in lines {
        assert!(
            !line.to_string().contains(UPSTREAM_KEY),
            "a credential in the log: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_is_served_within_a_second_and_no_request_fails() {
    let database = TestDatabase::create().await;
    let mock = mock().await;
    let admin = AdminApi::start(database.url()).await;
    let model = admin.seed(&mock.base_url(), "gpt-4o").await;
    let gateway = start_gateway(database.url());
    let traffic = Traffic::start(gateway.addr, 2);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut delays = Vec::new();
    for model_type in ["gpt-4o-mini", "gpt-4o"] {
        let path = format!("/model-definitions/{model}");
        let (status, body) = admin
            .send(Method::PUT, &path, &json!({"model_type": model_type}))
            .await;
        assert_eq!(status, 200, "{body}");
        let written = Instant::now();

        let served = traffic
            .first_naming(model_type, written, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("no answer from {model_type} within 5 s"));
        delays.push(served - written);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    let outcomes = traffic.stop().await;
    assert!(
        outcomes.len() > 20,
        "a steady stream: {} requests",
        outcomes.len()
    );
    assert_none_failed(&outcomes);
    for delay in &delays {
        assert!(*delay < Duration::from_secs(1), "followed after {delay:?}");
    }
    let lines = tokio::task::block_in_place(|| {
        wait_for_log(&gateway, "configuration reloaded", Duration::from_secs(1))
    });
    assert_no_credential(&lines);
    assert_no_credential(&drain_logs(&gateway));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_serves_through_an_outage_and_follows_changes_after_it() {
    let cluster = Cluster::start().expect("a throwaway cluster for this test to stop");
    let database = TestDatabase::create_on(&cluster.url("postgres"))
        .await
        .expect("a database");
    let mock = mock().await;
    let admin = AdminApi::start(database.url()).await;
    let model = admin.seed(&mock.base_url(), "gpt-4o").await;
    let gateway = start_gateway(database.url());
    let traffic = Traffic::start(gateway.addr, 2);

    tokio::task::block_in_place(|| {
        cluster.stop().expect("the database stops");
        wait_for_log(
            &gateway,
            "configuration database unreachable; serving the last good configuration",
            Duration::from_secs(5),
        );
    });
    let outage_began = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during: Vec<Outcome> = traffic
        .outcomes()
        .into_iter()
        .filter(|outcome| outcome.done >= outage_began)
        .collect();
    assert!(!during.is_empty(), "requests were served during the outage");
    assert_none_failed(&during);

    tokio::task::block_in_place(|| cluster.start_again().expect("the database returns"));
    let path = format!("/model-definitions/{model}");
    let (status, body) = admin
        .send(Method::PUT, &path, &json!({"model_type": "gpt-4o-mini"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let written = Instant::now();
    let served = traffic
        .first_naming("gpt-4o-mini", written, Duration::from_secs(10))
        .await;
    assert!(served.is_some(), "the change after the outage is followed");

    let outcomes = traffic.stop().await;
    assert_none_failed(&outcomes);
    tokio::task::block_in_place(|| {
        let lines = wait_for_log(&gateway, "configuration reloaded", Duration::from_secs(1));
        assert!(
            lines
                .iter()
                .any(|line| line["fields"]["message"] == "configuration database reachable again"),
            "the return is logged"
        );
    });
}

fn refusal(env: &[(&str, &str)]) -> String {
    let (mut command, _dir) = crate::common::command(&mock_config("http://127.0.0.1:9/v1"));
    command
        .env("HUB_MODE", "database")
        .envs(env.iter().copied());
    let output = command.output().expect("hub-gateway runs");
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn database_mode_refuses_to_start_without_what_it_needs() {
    let no_url = refusal(&[("HUB_SECRET_KEY", SECRET_KEY)]);
    assert!(
        no_url.contains("HUB_MODE=database needs DATABASE_URL"),
        "{no_url}"
    );

    let url = ("DATABASE_URL", "postgres://postgres@127.0.0.1:9/none");
    let no_key = refusal(&[url]);
    assert!(no_key.contains("HUB_SECRET_KEY is not set"), "{no_key}");

    let poll = refusal(&[
        url,
        ("HUB_SECRET_KEY", SECRET_KEY),
        ("DB_POLL_INTERVAL_SECONDS", "0"),
    ]);
    assert!(
        poll.contains("DB_POLL_INTERVAL_SECONDS must be a whole number"),
        "{poll}"
    );

    let unreachable = refusal(&[url, ("HUB_SECRET_KEY", SECRET_KEY)]);
    assert!(
        unreachable.contains("cannot load the configuration from the database"),
        "{unreachable}"
    );
}

/// A gateway that starts on an empty database serves nothing, and then what is added.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_on_an_empty_database_picks_up_the_first_configuration() {
    let database = TestDatabase::create().await;
    let mock = mock().await;
    let admin = AdminApi::start(database.url()).await;
    let gateway: GatewayProcess = start_gateway(database.url());
    let traffic = Traffic::start(gateway.addr, 1);

    admin.seed(&mock.base_url(), "gpt-4o").await;
    let seeded = Instant::now();
    let served = traffic
        .first_naming("gpt-4o", seeded, Duration::from_secs(5))
        .await;

    let outcomes = traffic.stop().await;
    assert!(served.is_some(), "{outcomes:?}");
    assert!(
        outcomes.iter().any(|outcome| outcome.status == 404),
        "no pipeline before"
    );
}
