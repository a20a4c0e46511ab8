//! `hub-admin`: owns the configuration database's schema and serves the management API.
//!
//! - `hub-admin` (or `hub-admin serve`): applies pending migrations, then serves the API on
//!   `MANAGEMENT_PORT` until SIGTERM or SIGINT.
//! - `hub-admin migrate`: applies pending migrations and exits.
//! - `hub-admin rotate-keys`: seals every stored value again under `HUB_SECRET_KEY`, so the
//!   keys in `HUB_PREVIOUS_SECRET_KEYS` can be retired.
//!
//! Composition only: every piece of logic lives in `hub-management`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use hub_management::api::{AdminAuth, management_api};
use hub_management::{Database, Keyring, Management};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: hub-admin [serve | migrate | rotate-keys]

  serve        apply pending migrations, then serve the management API (the default)
  migrate      apply pending migrations and exit
  rotate-keys  seal every stored value again under HUB_SECRET_KEY

environment: DATABASE_URL, HUB_SECRET_KEY, HUB_PREVIOUS_SECRET_KEYS, HUB_ADMIN_TOKEN,
HUB_ADMIN_AUTH=disabled, HOST, MANAGEMENT_PORT (8080), RUST_LOG, LOG_FORMAT=json";

/// Connections the API may hold open at once.
const POOL_SIZE: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Serve,
    Migrate,
    RotateKeys,
}

fn command() -> anyhow::Result<Command> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["serve"] => Ok(Command::Serve),
        ["migrate"] => Ok(Command::Migrate),
        ["rotate-keys"] => Ok(Command::RotateKeys),
        _ => bail!("{USAGE}"),
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn database() -> anyhow::Result<Database> {
    let url = var("DATABASE_URL").context("DATABASE_URL is not set")?;
    Ok(Database::connect(&url, POOL_SIZE)?)
}

fn keyring() -> anyhow::Result<Arc<Keyring>> {
    let keyring = Keyring::from_env(&|name: &str| std::env::var(name).ok())?;
    Ok(Arc::new(keyring))
}

/// `HUB_ADMIN_TOKEN`, or no authentication when `HUB_ADMIN_AUTH=disabled` says so.
fn admin_auth() -> anyhow::Result<AdminAuth> {
    let token = var("HUB_ADMIN_TOKEN");
    match (var("HUB_ADMIN_AUTH").as_deref(), token) {
        (Some("disabled"), None) => Ok(AdminAuth::Disabled),
        (Some("disabled"), Some(_)) => {
            bail!("HUB_ADMIN_AUTH=disabled and HUB_ADMIN_TOKEN are both set; choose one")
        }
        (Some(other), _) => bail!("HUB_ADMIN_AUTH must be `disabled` or unset, not `{other}`"),
        (None, Some(token)) => Ok(AdminAuth::Token(token.into())),
        (None, None) => bail!(
            "HUB_ADMIN_TOKEN is not set: set it to the token callers must present, or set \
             HUB_ADMIN_AUTH=disabled to serve the management API without authentication"
        ),
    }
}

fn address() -> anyhow::Result<SocketAddr> {
    let host = var("HOST").unwrap_or_else(|| "0.0.0.0".to_owned());
    let port = var("MANAGEMENT_PORT").unwrap_or_else(|| "8080".to_owned());
    let port: u16 = port
        .parse()
        .with_context(|| format!("MANAGEMENT_PORT must be a port number, not `{port}`"))?;
    let address = format!("{host}:{port}");
    address
        .parse()
        .with_context(|| format!("HOST and MANAGEMENT_PORT do not make an address: `{address}`"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = command()?;
    init_logging(var("LOG_FORMAT").as_deref() == Some("json"));

    match command {
        Command::Migrate => migrate(&database()?).await.map(drop),
        Command::RotateKeys => rotate_keys().await,
        Command::Serve => serve().await,
    }
}

async fn migrate(database: &Database) -> anyhow::Result<usize> {
    let applied = database
        .migrate()
        .await
        .context("cannot apply the migrations")?;
    tracing::info!(applied, "database schema up to date");
    Ok(applied)
}

async fn rotate_keys() -> anyhow::Result<()> {
    let management = Management::new(database()?, keyring()?);
    let report = management
        .rotate_keys()
        .await
        .context("key rotation failed; nothing was changed")?;
    tracing::info!(
        secrets = report.secrets,
        credentials = report.credentials,
        "every stored value is sealed under the current key"
    );
    Ok(())
}

async fn serve() -> anyhow::Result<()> {
    // Settings are checked before anything touches the database, so a mistake is reported
    // as itself rather than as whatever fails next.
    let auth = admin_auth().context("refusing to start")?;
    let keyring = keyring().context("refusing to start")?;
    let address = address()?;
    let database = database()?;

    migrate(&database).await.context("refusing to start")?;
    let management = Management::new(database, keyring);
    let api = management_api(management, &auth)
        .map_err(|_| anyhow::anyhow!("no randomness available to key the token check"))?;

    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let address = listener.local_addr()?;
    if matches!(auth, AdminAuth::Disabled) {
        tracing::warn!("management API authentication is disabled (HUB_ADMIN_AUTH=disabled)");
    }
    tracing::info!(%address, "hub-admin listening");

    hub_management::api::serve(listener, api, shutdown_signal()).await;
    tracing::info!("hub-admin stopped");
    Ok(())
}

fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Completes on the first SIGTERM or SIGINT.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM; only SIGINT stops it");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    tracing::info!("shutdown signal received");
}
