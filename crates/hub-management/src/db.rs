//! The connection pool and the embedded migrations.

use std::time::Duration;

use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The schema, from `migrations/` at the repository root, built into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// How long a request waits for a pooled connection, and for a new one to open, before the
/// database counts as unreachable.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);

/// A pooled connection.
pub(crate) type Connection = Object<AsyncPgConnection>;

/// Why the database could not be reached or used. Messages never hold the connection
/// string, which may carry a password.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
    #[error("the database is unreachable: {0}")]
    Unreachable(String),
    #[error("the database refused a query: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot apply the migrations: {0}")]
    Migration(String),
}

/// A pool of connections to the configuration database.
#[derive(Clone)]
pub struct Database {
    pool: Pool<AsyncPgConnection>,
    url: String,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").finish_non_exhaustive()
    }
}

impl Database {
    /// A pool of at most `max_connections` to `url`. Connections open on first use, so
    /// this succeeds while the database is down.
    pub fn connect(url: &str, max_connections: usize) -> Result<Database, DatabaseError> {
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
        let pool = Pool::builder(manager)
            .max_size(max_connections)
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .recycle_timeout(Some(POOL_TIMEOUT))
            .build()
            .map_err(|error| DatabaseError::Pool(error.to_string()))?;
        Ok(Database {
            pool,
            url: url.to_owned(),
        })
    }

    /// A connection from the pool; a dead one is replaced on the way out.
    pub(crate) async fn connection(&self) -> Result<Connection, DatabaseError> {
        self.pool
            .get()
            .await
            .map_err(|error| DatabaseError::Unreachable(error.to_string()))
    }

    /// A connection of its own, outside the pool, for a listener that holds it open.
    pub(crate) async fn dedicated_connection(&self) -> Result<AsyncPgConnection, DatabaseError> {
        let connect = AsyncPgConnection::establish(&self.url);
        match tokio::time::timeout(POOL_TIMEOUT, connect).await {
            Ok(Ok(connection)) => Ok(connection),
            Ok(Err(error)) => Err(DatabaseError::Unreachable(error.to_string())),
            Err(_) => Err(DatabaseError::Unreachable(format!(
                "no connection within {} s",
                POOL_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DatabaseError> {
        let mut connection = self.connection().await?;
        diesel::sql_query("SELECT 1")
            .execute(&mut connection)
            .await?;
        Ok(())
    }

    /// Applies the migrations not yet applied, and returns how many there were.
    pub async fn migrate(&self) -> Result<usize, DatabaseError> {
        let connection = self.dedicated_connection().await?;

        // The harness drives the async connection by blocking on the runtime, which is
        // allowed on a blocking thread and not on a worker.
        let applied = tokio::task::spawn_blocking(move || {
            let mut harness = AsyncMigrationHarness::new(connection);
            harness
                .run_pending_migrations(MIGRATIONS)
                .map(|versions| versions.len())
                .map_err(|error| DatabaseError::Migration(error.to_string()))
        })
        .await
        .map_err(|error| DatabaseError::Migration(error.to_string()))??;
        Ok(applied)
    }
}
