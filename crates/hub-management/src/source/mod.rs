//! The read side, for gateways: the configuration the database holds, assembled and
//! validated into the same [`HubConfig`] a YAML file yields, and followed as it changes.

mod follow;

use std::collections::HashMap;
use std::sync::Arc;

use diesel_async::AsyncPgConnection;
use hub_config::Environment;
use hub_core::config::HubConfig;

pub use follow::{
    FollowSettings, METRIC_DATABASE_UP, METRIC_RELOADS, METRIC_REVISION, METRIC_SNAPSHOT_AGE,
};

use crate::assemble::{OpenValues, assemble};
use crate::db::{Database, DatabaseError};
use crate::fault::Fault;
use crate::keys::Keyring;
use crate::rows::ConfigRows;

/// The channel every change is announced on; see the migrations' trigger.
pub(crate) const CHANNEL: &str = "hub_config_changed";

/// The configuration of one revision.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub revision: i64,
    pub config: HubConfig,
}

/// Why no configuration could be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error(
        "the configuration at revision {revision} is invalid:\n{}",
        lines(faults)
    )]
    Invalid { revision: i64, faults: Vec<Fault> },
}

impl From<diesel::result::Error> for SourceError {
    fn from(error: diesel::result::Error) -> Self {
        SourceError::Database(DatabaseError::Query(error))
    }
}

fn lines(faults: &[Fault]) -> String {
    let lines: Vec<String> = faults.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// A gateway's view of the configuration database: it reads, never writes.
pub struct DatabaseSource {
    db: Database,
    keyring: Arc<Keyring>,
    env: Box<dyn Environment + Send + Sync>,
}

impl std::fmt::Debug for DatabaseSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSource")
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
}

impl DatabaseSource {
    /// Reads from `db`, opens sealed values with `keyring`, and reads credentials of type
    /// `environment` from `env`, the gateway's own environment.
    pub fn new(
        db: Database,
        keyring: Arc<Keyring>,
        env: Box<dyn Environment + Send + Sync>,
    ) -> DatabaseSource {
        DatabaseSource { db, keyring, env }
    }

    /// The configuration as the database holds it now.
    pub async fn load(&self) -> Result<LoadedConfig, SourceError> {
        let mut connection = self.db.connection().await?;
        self.load_on(&mut connection).await
    }

    /// Reads every table in one repeatable-read transaction, so the rows are of one
    /// revision, then assembles and validates them.
    pub(crate) async fn load_on(
        &self,
        connection: &mut AsyncPgConnection,
    ) -> Result<LoadedConfig, SourceError> {
        let rows = connection
            .build_transaction()
            .repeatable_read()
            .read_only()
            .run(async |connection| ConfigRows::load(connection).await)
            .await?;

        let secrets = rows
            .secrets
            .iter()
            .map(|row| (row.name.as_str(), (row.id, row.sealed())))
            .collect::<HashMap<_, _>>();
        let values = OpenValues {
            keyring: &self.keyring,
            env: &*self.env,
            secrets,
        };
        match assemble(&rows, &values, &*self.env) {
            Ok(config) => Ok(LoadedConfig {
                revision: rows.revision,
                config,
            }),
            Err(faults) => Err(SourceError::Invalid {
                revision: rows.revision,
                faults,
            }),
        }
    }
}
