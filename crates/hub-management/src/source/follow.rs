//! Following the configuration as it changes: notified through `LISTEN`, polled every
//! interval for what a notification missed, and reconnecting after the database goes away.
//! Whatever fails, the gateway keeps the configuration it serves, and says so in its log
//! and metrics.

use std::fmt::Display;
use std::time::{Duration, Instant};

use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use hub_core::config::HubConfig;

use super::{CHANNEL, DatabaseSource, SourceError};
use crate::db::DatabaseError;
use crate::rows::read_revision;

/// Counter, by `outcome`: `applied` (a new configuration is served), `rejected` (a change
/// was invalid, the last good configuration is kept), `failed` (the database could not be
/// read).
pub const METRIC_RELOADS: &str = "hub_config_reloads_total";
/// Gauge: seconds since the configuration served was last known to be the database's
/// current one. It grows while the database is unreachable or its latest change is
/// refused.
pub const METRIC_SNAPSHOT_AGE: &str = "hub_config_snapshot_age_seconds";
/// Gauge: 1 while the database is reachable, else 0.
pub const METRIC_DATABASE_UP: &str = "hub_config_database_up";
/// Gauge: the revision of the configuration served.
pub const METRIC_REVISION: &str = "hub_config_revision";

/// A query that takes longer counts as the database being unreachable.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The first wait before reconnecting; it doubles up to the poll interval, at most 5 s.
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LONGEST_RETRY: Duration = Duration::from_secs(5);
/// How often the age gauge is brought up to date.
const AGE_TICK: Duration = Duration::from_secs(1);

/// How a gateway follows the database.
#[derive(Debug, Clone, Copy)]
pub struct FollowSettings {
    /// How often to check for a change that no notification announced
    /// (`DB_POLL_INTERVAL_SECONDS`).
    pub poll_interval: Duration,
}

impl Default for FollowSettings {
    fn default() -> Self {
        FollowSettings {
            poll_interval: Duration::from_secs(30),
        }
    }
}

impl DatabaseSource {
    /// Follows the configuration from `served`, the revision already being served, and
    /// hands each new valid configuration to `apply`. An `Err` from `apply` (a
    /// configuration that cannot be built) counts as a refused change. Runs until dropped.
    pub async fn follow<F, E>(self, served: i64, settings: FollowSettings, apply: F)
    where
        F: FnMut(HubConfig) -> Result<(), E> + Send,
        E: Display,
    {
        describe_metrics();
        let follower = Follower {
            source: self,
            apply,
            poll_interval: settings.poll_interval.max(Duration::from_millis(10)),
            served,
            judged: served,
            confirmed_at: Instant::now(),
            reachable: true,
        };
        follower.run().await;
    }
}

struct Follower<F> {
    source: DatabaseSource,
    apply: F,
    poll_interval: Duration,
    /// The revision of the configuration served.
    served: i64,
    /// The latest revision looked at, served or refused: a refused one is not read again.
    judged: i64,
    /// When `served` was last known to be the current revision.
    confirmed_at: Instant,
    reachable: bool,
}

/// What woke the follower.
enum Wake {
    Notified,
    Poll,
    Age,
    Lost(String),
}

impl<F, E> Follower<F>
where
    F: FnMut(HubConfig) -> Result<(), E> + Send,
    E: Display,
{
    async fn run(mut self) {
        metrics::gauge!(METRIC_REVISION).set(self.served as f64);
        metrics::gauge!(METRIC_DATABASE_UP).set(1.0);
        let longest_retry = self.poll_interval.min(LONGEST_RETRY);
        let mut retry = FIRST_RETRY;

        loop {
            match self.listen().await {
                Ok(mut connection) => {
                    retry = FIRST_RETRY;
                    self.follow_connection(&mut connection).await;
                }
                Err(error) => {
                    self.unreachable(&error.to_string());
                    self.wait(retry).await;
                    retry = (retry * 2).min(longest_retry);
                }
            }
        }
    }

    /// A connection of its own, subscribed to change notifications.
    async fn listen(&self) -> Result<AsyncPgConnection, DatabaseError> {
        let mut connection = self.source.db.dedicated_connection().await?;
        let listen = diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut connection);
        match tokio::time::timeout(QUERY_TIMEOUT, listen).await {
            Ok(Ok(_)) => Ok(connection),
            Ok(Err(error)) => Err(DatabaseError::Query(error)),
            Err(_) => Err(DatabaseError::Unreachable("LISTEN timed out".to_owned())),
        }
    }

    /// Checks at once, as a change may have been made while no one listened, then on each
    /// notification and poll, until the connection is lost.
    async fn follow_connection(&mut self, connection: &mut AsyncPgConnection) {
        if !self.check(connection).await {
            return;
        }
        let mut poll = tokio::time::interval(self.poll_interval);
        poll.reset();
        let mut age = tokio::time::interval(AGE_TICK);

        loop {
            let wake = {
                let notifications = connection.notifications_stream();
                tokio::pin!(notifications);
                tokio::select! {
                    notification = notifications.next() => match notification {
                        Some(Ok(_)) => Wake::Notified,
                        Some(Err(error)) => Wake::Lost(error.to_string()),
                        None => Wake::Lost("the connection closed".to_owned()),
                    },
                    _ = poll.tick() => Wake::Poll,
                    _ = age.tick() => Wake::Age,
                }
            };

            match wake {
                Wake::Notified | Wake::Poll => {
                    if !self.check(connection).await {
                        return;
                    }
                }
                Wake::Age => self.record_age(),
                Wake::Lost(error) => {
                    self.unreachable(&error);
                    return;
                }
            }
        }
    }

    /// Reads the revision, and the whole configuration when it moved. Returns false when
    /// the database could not be read, so the connection is replaced.
    async fn check(&mut self, connection: &mut AsyncPgConnection) -> bool {
        let revision = match timed(read_revision(connection)).await {
            Ok(revision) => revision,
            Err(error) => {
                self.unreachable(&error);
                return false;
            }
        };
        self.reachable_again();

        if revision != self.judged {
            match tokio::time::timeout(QUERY_TIMEOUT, self.source.load_on(connection)).await {
                Ok(Ok(loaded)) => self.offer(loaded.revision, loaded.config),
                Ok(Err(SourceError::Invalid { revision, faults })) => {
                    let faults: Vec<String> = faults.iter().map(ToString::to_string).collect();
                    self.refuse(revision, &faults.join("; "));
                }
                Ok(Err(SourceError::Database(error))) => {
                    self.unreachable(&error.to_string());
                    return false;
                }
                Err(_) => {
                    self.unreachable("the configuration could not be read in time");
                    return false;
                }
            }
        }

        if self.served == self.judged {
            self.confirmed_at = Instant::now();
        }
        self.record_age();
        true
    }

    /// Hands a valid configuration to the gateway, which may still fail to build it.
    fn offer(&mut self, revision: i64, config: HubConfig) {
        match (self.apply)(config) {
            Ok(()) => {
                tracing::info!(revision, previous = self.served, "configuration reloaded");
                metrics::counter!(METRIC_RELOADS, "outcome" => "applied").increment(1);
                metrics::gauge!(METRIC_REVISION).set(revision as f64);
                self.served = revision;
                self.judged = revision;
            }
            Err(error) => self.refuse(revision, &error.to_string()),
        }
    }

    fn refuse(&mut self, revision: i64, faults: &str) {
        tracing::warn!(
            revision,
            serving = self.served,
            faults,
            "configuration change refused; serving the last good configuration"
        );
        metrics::counter!(METRIC_RELOADS, "outcome" => "rejected").increment(1);
        self.judged = revision;
    }

    fn unreachable(&mut self, error: &str) {
        metrics::counter!(METRIC_RELOADS, "outcome" => "failed").increment(1);
        metrics::gauge!(METRIC_DATABASE_UP).set(0.0);
        if self.reachable {
            tracing::warn!(
                error,
                serving = self.served,
                "configuration database unreachable; serving the last good configuration"
            );
        } else {
            tracing::debug!(error, "configuration database still unreachable");
        }
        self.reachable = false;
        self.record_age();
    }

    fn reachable_again(&mut self) {
        if !self.reachable {
            tracing::info!(
                serving = self.served,
                "configuration database reachable again"
            );
        }
        self.reachable = true;
        metrics::gauge!(METRIC_DATABASE_UP).set(1.0);
    }

    fn record_age(&self) {
        metrics::gauge!(METRIC_SNAPSHOT_AGE).set(self.confirmed_at.elapsed().as_secs_f64());
    }

    /// Sleeps before reconnecting, keeping the age gauge current meanwhile.
    async fn wait(&self, duration: Duration) {
        let deadline = tokio::time::Instant::now() + duration;
        while tokio::time::Instant::now() < deadline {
            let step = AGE_TICK.min(deadline - tokio::time::Instant::now());
            tokio::time::sleep(step).await;
            self.record_age();
        }
    }
}

/// A database call bounded by [`QUERY_TIMEOUT`]; a hung one counts as unreachable.
async fn timed<T, E: Display>(call: impl Future<Output = Result<T, E>>) -> Result<T, String> {
    match tokio::time::timeout(QUERY_TIMEOUT, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {} s", QUERY_TIMEOUT.as_secs())),
    }
}

fn describe_metrics() {
    metrics::describe_counter!(
        METRIC_RELOADS,
        "Configuration reload attempts in database mode, by outcome: applied, rejected, failed."
    );
    metrics::describe_gauge!(
        METRIC_SNAPSHOT_AGE,
        metrics::Unit::Seconds,
        "Seconds since the configuration served was last known to be the database's current one."
    );
    metrics::describe_gauge!(
        METRIC_DATABASE_UP,
        "1 while the configuration database is reachable, else 0."
    );
    metrics::describe_gauge!(METRIC_REVISION, "The revision of the configuration served.");
}
