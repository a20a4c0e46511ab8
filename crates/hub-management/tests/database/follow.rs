//! Following the database: a change is handed over within a second of its commit, a change
//! no notification announced is found by polling, a refused change and an outage keep the
//! last good configuration, and the metrics and logs say so.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hub_core::config::HubConfig;
use hub_management::api::AdminAuth;
use hub_management::{
    DatabaseSource, FollowSettings, Keyring, METRIC_DATABASE_UP, METRIC_RELOADS, METRIC_REVISION,
    METRIC_SNAPSHOT_AGE,
};
use hub_testkit::postgres::{Cluster, TestDatabase};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use serde_json::json;
use tokio::sync::mpsc;

use crate::common::{Admin, KEY, TOKEN};

/// Follows `admin`'s database from what it holds now, polling every `poll`; each
/// configuration handed over arrives on the channel.
pub(crate) async fn follow(admin: &Admin, poll: Duration) -> mpsc::UnboundedReceiver<HubConfig> {
    let keyring = Arc::new(Keyring::new(KEY, &[]).expect("a keyring"));
    let env = Box::new(BTreeMap::<String, String>::new());
    let source = DatabaseSource::new(admin.database.clone(), keyring, env);
    let loaded = source.load().await.expect("the seeded config loads");

    let (sender, receiver) = mpsc::unbounded_channel();
    let settings = FollowSettings {
        poll_interval: poll,
    };
    tokio::spawn(source.follow(loaded.revision, settings, move |config| {
        sender.send(config).map_err(|error| error.to_string())
    }));
    receiver
}

pub(crate) async fn next(
    receiver: &mut mpsc::UnboundedReceiver<HubConfig>,
    within: Duration,
) -> HubConfig {
    tokio::time::timeout(within, receiver.recv())
        .await
        .expect("a configuration arrives in time")
        .expect("the follower runs")
}

fn model_type(config: &HubConfig) -> &str {
    &config.models[0].model_type
}

#[tokio::test]
async fn a_change_is_followed_within_a_second_of_its_commit() {
    let admin = Admin::start().await;
    let seeded = admin.seed().await;
    // Polling this slowly, only the notification can be in time.
    let mut configs = follow(&admin, Duration::from_secs(600)).await;
    let path = format!("/model-definitions/{}", seeded.model);

    for model in ["gpt-4o-mini", "gpt-4.1", "gpt-4o"] {
        let changed = admin.put(&path, &json!({"model_type": model})).await;
        assert_eq!(changed.status, 200);
        let committed = Instant::now();

        let config = next(&mut configs, Duration::from_secs(1)).await;
        assert_eq!(model_type(&config), model);
        assert!(committed.elapsed() < Duration::from_secs(1));
    }
    admin.stop().await;
}

#[tokio::test]
async fn polling_finds_a_change_no_notification_announced() {
    let admin = Admin::start().await;
    admin.seed().await;
    let mut configs = follow(&admin, Duration::from_secs(1)).await;

    // Around the trigger, as an operator's bulk fix might: the revision moves, no one is
    // told.
    admin
        .sql()
        .await
        .batch_execute(
            "ALTER TABLE model_definitions DISABLE TRIGGER model_definitions_changed;
             UPDATE model_definitions SET model_type = 'gpt-4o-polled';
             UPDATE config_revision SET revision = revision + 1;
             ALTER TABLE model_definitions ENABLE TRIGGER model_definitions_changed;",
        )
        .await
        .expect("the silent change applies");

    let config = next(&mut configs, Duration::from_secs(3)).await;
    assert_eq!(model_type(&config), "gpt-4o-polled");
    admin.stop().await;
}

/// Runs `test` on a runtime of this thread with a recorder of its own, so metrics of other
/// tests running at the same time do not mix in.
fn with_metrics(test: impl AsyncFnOnce(&Snapshotter)) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    metrics::with_local_recorder(&recorder, || runtime.block_on(test(&snapshotter)));
}

/// The metrics recorded since the last sample: counters count from there, gauges hold what
/// was last set since then.
struct Sample(Vec<Recorded>);

/// One metric: its name, its labels, and its value.
type Recorded = (String, Vec<(String, String)>, f64);

impl Sample {
    fn take(snapshotter: &Snapshotter) -> Sample {
        let values = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| {
                let key = key.key();
                let labels = key
                    .labels()
                    .map(|label| (label.key().to_owned(), label.value().to_owned()))
                    .collect();
                let value = match value {
                    DebugValue::Counter(count) => count as f64,
                    DebugValue::Gauge(gauge) => gauge.into_inner(),
                    DebugValue::Histogram(_) => f64::NAN,
                };
                (key.name().to_owned(), labels, value)
            });
        Sample(values.collect())
    }

    /// The value of `name` with `labels`; a counter or gauge untouched since the last
    /// sample reads 0.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.0
            .iter()
            .find(|(found, found_labels, _)| {
                let same_labels = found_labels
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.as_str()))
                    .eq(labels.iter().copied());
                found == name && same_labels
            })
            .map_or(0.0, |(_, _, value)| *value)
    }
}

#[test]
fn a_change_the_gateway_cannot_resolve_is_refused_and_the_last_good_one_kept() {
    with_metrics(async |metrics| {
        let admin = Admin::start().await;
        let seeded = admin.seed().await;
        let mut configs = follow(&admin, Duration::from_secs(1)).await;
        let path = format!("/providers/{}", seeded.provider);

        // The admin cannot see the gateway's environment; the gateway lacks the variable.
        let env_key = json!({"type": "environment", "variable_name": "HUB_TEST_NEVER_SET"});
        let accepted = admin
            .put(&path, &json!({"config": {"api_key": env_key}}))
            .await;
        assert_eq!(accepted.status, 200, "{}", accepted.text());
        let nothing = tokio::time::timeout(Duration::from_millis(1500), configs.recv()).await;
        assert!(nothing.is_err(), "a refused change is not handed over");
        let refused = Sample::take(metrics);
        assert_eq!(
            refused.value(METRIC_RELOADS, &[("outcome", "rejected")]),
            1.0
        );
        assert_eq!(
            refused.value(METRIC_RELOADS, &[("outcome", "applied")]),
            0.0
        );

        let literal = json!({"type": "literal", "value": "sk-fixed"});
        let fixed = admin
            .put(&path, &json!({"config": {"api_key": literal}}))
            .await;
        assert_eq!(fixed.status, 200);
        let config = next(&mut configs, Duration::from_secs(1)).await;
        assert_eq!(config.providers[0].api_key.as_deref(), Some("sk-fixed"));
        let applied = Sample::take(metrics);
        assert_eq!(
            applied.value(METRIC_RELOADS, &[("outcome", "applied")]),
            1.0
        );
        assert_eq!(applied.value(METRIC_DATABASE_UP, &[]), 1.0);
        assert!(applied.value(METRIC_REVISION, &[]) > 1.0);
        admin.stop().await;
    });
}

#[test]
fn an_outage_keeps_the_last_good_configuration_and_changes_after_it_are_followed() {
    let cluster = Cluster::start().expect("a throwaway cluster for this test to stop");
    with_metrics(async |metrics| {
        let database = TestDatabase::create_on(&cluster.url("postgres"))
            .await
            .expect("a database");
        let url = database.url().to_owned();
        let admin = Admin::serve(&url, Some(database), &AdminAuth::Token(TOKEN.into())).await;
        let seeded = admin.seed().await;
        let mut configs = follow(&admin, Duration::from_secs(1)).await;

        cluster.stop().expect("the cluster stops");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let down = Sample::take(metrics);
        assert_eq!(down.value(METRIC_DATABASE_UP, &[]), 0.0);
        assert!(down.value(METRIC_RELOADS, &[("outcome", "failed")]) >= 1.0);
        let age = down.value(METRIC_SNAPSHOT_AGE, &[]);
        assert!(
            age >= 1.0,
            "the served configuration ages while unconfirmed: {age}"
        );
        assert!(
            configs.try_recv().is_err(),
            "nothing new while the database is down"
        );

        cluster.start_again().expect("the cluster starts again");
        let path = format!("/model-definitions/{}", seeded.model);
        let changed = admin
            .put(&path, &json!({"model_type": "after-the-outage"}))
            .await;
        assert_eq!(changed.status, 200, "{}", changed.text());

        let config = next(&mut configs, Duration::from_secs(10)).await;
        assert_eq!(model_type(&config), "after-the-outage");
        assert_eq!(Sample::take(metrics).value(METRIC_DATABASE_UP, &[]), 1.0);
        admin.stop().await;
    });
}
