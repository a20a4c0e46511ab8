//! PostgreSQL for tests: a server per test binary, and a database of its own per test, so
//! tests run in parallel.
//!
//! The server is the one `DATABASE_URL` names when it is set (its user must be allowed to
//! create databases); otherwise a throwaway [`Cluster`] is started from the local server
//! binaries once per test binary and removed when the binary exits. Where neither is
//! possible, the test fails with [`INSTALL_HINT`]: a missing database is never a skip.
//!
//! ```no_run
//! # async fn demo() {
//! let database = hub_testkit::postgres::TestDatabase::create().await;
//! println!("connect to {}", database.url());
//! // Dropped at the end of the test: the database goes with it.
//! # }
//! ```

mod cluster;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

pub use cluster::Cluster;

/// What to do when no PostgreSQL can be had.
pub const INSTALL_HINT: &str = "the database tests need PostgreSQL: set DATABASE_URL to a \
     server whose user may create databases (such as postgres://postgres@127.0.0.1:5432/postgres), \
     or install the PostgreSQL server binaries so the tests can start a throwaway cluster \
     (initdb and pg_ctl: `apt-get install postgresql` on Debian or Ubuntu, \
     `brew install postgresql@15` on macOS)";

/// Why no database could be had.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PostgresError {
    #[error("{0}")]
    NotInstalled(String),
    #[error("cannot start a throwaway PostgreSQL cluster: {0}")]
    Start(String),
    #[error("cannot create or drop a test database on {server}: {message}")]
    Database { server: String, message: String },
}

/// The server this test binary uses: `DATABASE_URL`, or a cluster started on first use.
///
/// # Panics
///
/// When there is neither, with a message that says what to install.
pub fn server_url() -> String {
    static SHARED: OnceLock<Result<Shared, PostgresError>> = OnceLock::new();
    let shared = SHARED.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Ok(Shared::Given(url)),
        _ => Cluster::start().map(Shared::Started),
    });
    match shared {
        Ok(Shared::Given(url)) => url.clone(),
        Ok(Shared::Started(cluster)) => cluster.url("postgres"),
        Err(error) => panic!("{error}"),
    }
}

/// The server of [`server_url`]. A cluster started here lives as long as the process; its
/// watchdog removes it when the process exits.
enum Shared {
    Given(String),
    Started(Cluster),
}

/// A database of its own for one test, dropped with the handle.
#[derive(Debug)]
pub struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// A new, empty database on [`server_url`].
    ///
    /// # Panics
    ///
    /// When no server can be had, or the database cannot be created.
    pub async fn create() -> TestDatabase {
        let server = server_url();
        TestDatabase::create_on(&server)
            .await
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// A new, empty database on the server at `server`, any database's URL there.
    pub async fn create_on(server: &str) -> Result<TestDatabase, PostgresError> {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "hub_test_{}_{}_{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed),
            nanos()
        );

        execute(server, &format!("CREATE DATABASE {name}")).await?;
        Ok(TestDatabase {
            url: with_database(server, &name),
            server: server.to_owned(),
            name,
        })
    }

    /// The database's connection URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    /// Drops the database, closing what still connects to it. Run on a thread of its own,
    /// as the test's runtime may be the one being dropped.
    fn drop(&mut self) {
        let server = self.server.clone();
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                // A server that a test stopped has taken the database with it.
                let _ = runtime.block_on(execute(&server, &statement));
            }
        });
        let _ = dropped.join();
    }
}

/// Runs one statement on the server at `url`, on a connection of its own.
async fn execute(url: &str, statement: &str) -> Result<(), PostgresError> {
    let failed = |message: String| PostgresError::Database {
        server: without_password(url),
        message,
    };
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|error| failed(error.to_string()))?;
    let driver = tokio::spawn(connection);

    let result = client
        .batch_execute(statement)
        .await
        .map_err(|error| failed(error.to_string()));
    drop(client);
    let _ = driver.await;
    result
}

/// `url` with its database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let authority = location.split_once('/').map_or(location, |(host, _)| host);

    let mut replaced = format!("{scheme}://{authority}/{name}");
    if let Some(query) = query {
        replaced.push('?');
        replaced.push_str(query);
    }
    replaced
}

/// `url` without the password it may carry, for messages.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials
                .split_once(':')
                .map_or(credentials, |(user, _)| user);
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_owned(),
    }
}

fn nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "t"),
            "postgres://u:p@h:5432/t"
        );
        assert_eq!(
            with_database("postgresql://h/db?sslmode=disable", "t"),
            "postgresql://h/t?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "t"), "postgres://h:1/t");
        assert_eq!(with_database("postgres://h?x=1", "t"), "postgres://h/t?x=1");
    }

    #[test]
    fn leaves_passwords_out_of_messages() {
        assert_eq!(
            without_password("postgres://u:secret@h/db"),
            "postgres://u@h/db"
        );
        assert_eq!(without_password("postgres://h/db"), "postgres://h/db");
    }
}
