//! `hub-gateway`: reads its settings from the environment, loads the configuration from a
//! YAML file or, in database mode, from PostgreSQL (and follows its changes), and serves the
//! gateway until SIGTERM or SIGINT, letting in-flight requests finish (a second signal stops
//! it without waiting for them).
//! `hub-gateway healthcheck` probes a running one instead (see `healthcheck`).
//!
//! Composition only: the serving logic lives in the library crates.

mod healthcheck;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use hub_config::ProcessEnvironment;
use hub_core::config::HubConfig;
use hub_management::{Database, DatabaseSource, FollowSettings, Keyring};
use hub_pipeline::{Gateway, Snapshot};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The gateway allocates and frees small buffers for every request and every stream chunk,
/// across threads; mimalloc does that with less contention and work than the system
/// allocator (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The process's settings, from the environment variables DESIGN.md names.
#[derive(Debug)]
struct Settings {
    source: Source,
    address: SocketAddr,
    json_logs: bool,
}

/// Where the configuration comes from (`HUB_MODE`).
enum Source {
    Yaml {
        path: PathBuf,
    },
    Database {
        url: String,
        poll_interval: Duration,
    },
}

// Written by hand: a database URL may carry the database password.
impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Yaml { path } => f.debug_struct("Yaml").field("path", path).finish(),
            Source::Database { poll_interval, .. } => f
                .debug_struct("Database")
                .field("url", &"<redacted>")
                .field("poll_interval", poll_interval)
                .finish(),
        }
    }
}

/// Connections for the first load; the follower then reads on a connection of its own.
const DATABASE_POOL_SIZE: usize = 1;

impl Settings {
    fn from_env() -> anyhow::Result<Settings> {
        let mode = std::env::var("HUB_MODE").unwrap_or_else(|_| "yaml".to_owned());
        let source = match mode.as_str() {
            "yaml" => Source::Yaml {
                path: std::env::var_os("CONFIG_FILE_PATH")
                    .map_or_else(|| PathBuf::from("config.yaml"), PathBuf::from),
            },
            "database" => Source::Database {
                url: std::env::var("DATABASE_URL")
                    .ok()
                    .filter(|url| !url.is_empty())
                    .context("HUB_MODE=database needs DATABASE_URL")?,
                poll_interval: poll_interval()?,
            },
            other => bail!("HUB_MODE must be `yaml` or `database`, not `{other}`"),
        };

        let host = std::env::var("HOST").unwrap_or_else(|_| "0.0.0.0".to_owned());
        let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
        let port: u16 = port
            .parse()
            .with_context(|| format!("PORT must be a port number, not `{port}`"))?;
        let address = format!("{host}:{port}");
        let address = address
            .parse()
            .with_context(|| format!("HOST and PORT do not make an address: `{address}`"))?;
        let json_logs = std::env::var("LOG_FORMAT").is_ok_and(|format| format == "json");

        Ok(Settings {
            source,
            address,
            json_logs,
        })
    }
}

/// `DB_POLL_INTERVAL_SECONDS`: a whole number of seconds, at least 1; 30 when unset.
fn poll_interval() -> anyhow::Result<Duration> {
    let Ok(raw) = std::env::var("DB_POLL_INTERVAL_SECONDS") else {
        return Ok(FollowSettings::default().poll_interval);
    };
    let seconds: u64 = raw
        .parse()
        .ok()
        .filter(|seconds| *seconds > 0)
        .with_context(|| {
            format!("DB_POLL_INTERVAL_SECONDS must be a whole number, at least 1, not `{raw}`")
        })?;
    Ok(Duration::from_secs(seconds))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|command| command == "healthcheck") {
        return healthcheck::run(args.get(1).map(String::as_str));
    }

    // Chosen before anything touches TLS: with two crypto providers in the graph, rustls
    // would otherwise refuse to pick one at run time.
    rustls::crypto::ring::default_provider()
        .install_default()
        .map_err(|_| anyhow::anyhow!("a TLS crypto provider was already installed"))?;

    let settings = Settings::from_env()?;
    init_logging(settings.json_logs);

    // Installed before anything records, the database follower included.
    let metrics = hub_pipeline::telemetry::metrics::install()
        .context("cannot install the metrics recorder")?;
    let gateway = match &settings.source {
        Source::Yaml { path } => yaml_gateway(path)?,
        Source::Database { url, poll_interval } => database_gateway(url, *poll_interval).await?,
    };
    let gateway = gateway.with_metrics(metrics);

    let listener = TcpListener::bind(settings.address)
        .await
        .with_context(|| format!("cannot listen on {}", settings.address))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "hub-gateway listening");

    // The first signal stops accepting and waits for what is in flight; a second stops
    // waiting, for an operator who will not wait out a long stream.
    let signals = count_shutdown_signals();
    let served = hub_pipeline::serve(listener, gateway, shutdown_signals(signals.clone(), 1));
    let cut_short = tokio::select! {
        () = served => false,
        () = shutdown_signals(signals, 2) => true,
    };

    // Spans still queued leave before the process does.
    tokio::task::spawn_blocking(hub_pipeline::telemetry::flush).await?;
    if cut_short {
        bail!("a second shutdown signal stopped hub-gateway before its requests in flight ended");
    }
    tracing::info!("hub-gateway stopped");
    Ok(())
}

fn yaml_gateway(path: &Path) -> anyhow::Result<Gateway> {
    let config = hub_config::load_file(path, &ProcessEnvironment)
        .with_context(|| format!("refusing to start: {} is invalid", path.display()))?;
    let snapshot = Snapshot::build(&config).context("refusing to start")?;
    tracing::info!(config = %path.display(), "configuration loaded");
    log_access(&config);
    Ok(Gateway::new(snapshot))
}

/// Serves what the database holds now, and follows it from then on; each change is built
/// into a snapshot and swapped in, and one that cannot be built is refused.
async fn database_gateway(url: &str, poll_interval: Duration) -> anyhow::Result<Gateway> {
    let keyring = Keyring::from_env(&ProcessEnvironment).context("refusing to start")?;
    let database = Database::connect(url, DATABASE_POOL_SIZE).context("refusing to start")?;
    let source = DatabaseSource::new(database, Arc::new(keyring), Box::new(ProcessEnvironment));

    let loaded = source
        .load()
        .await
        .context("refusing to start: cannot load the configuration from the database")?;
    let snapshot = Snapshot::build(&loaded.config).context("refusing to start")?;
    let gateway = Gateway::new(snapshot);
    tracing::info!(
        revision = loaded.revision,
        "configuration loaded from the database"
    );
    log_access(&loaded.config);

    let reloading = gateway.clone();
    let settings = FollowSettings { poll_interval };
    tokio::spawn(source.follow(loaded.revision, settings, move |config| {
        Snapshot::build(&config).map(|snapshot| reloading.reload(snapshot))
    }));
    Ok(gateway)
}

/// Says once, at start, whether clients need an access key: an open gateway spends the
/// providers' credits for anyone who reaches it.
fn log_access(config: &HubConfig) {
    let keys = config.general.access_keys.len();
    if keys == 0 {
        tracing::warn!(
            "no access keys are configured: the gateway serves every client that reaches it"
        );
    } else {
        tracing::info!(access_keys = keys, "clients must present an access key");
    }
}

/// Logs to stderr, filtered by `RUST_LOG`; Hub's spans go to the OpenTelemetry layer
/// whatever the log filter says, since pipelines choose what they export.
fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let format = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let format = if json {
        format.json().boxed()
    } else {
        format.boxed()
    };
    tracing_subscriber::registry()
        .with(format.with_filter(filter))
        .with(hub_pipeline::telemetry::layer())
        .init();
}

/// Counts the SIGTERM and SIGINT signals the process receives from now on.
fn count_shutdown_signals() -> watch::Receiver<u32> {
    let (count, counted) = watch::channel(0);
    let mut signals = ShutdownSignals::listen();
    tokio::spawn(async move {
        loop {
            signals.next().await;
            tracing::info!("shutdown signal received");
            count.send_modify(|received| *received += 1);
        }
    });
    counted
}

/// Completes once `counted` has reached `count` signals.
async fn shutdown_signals(mut counted: watch::Receiver<u32>, count: u32) {
    // The counting task runs as long as the process, so its sender is never dropped.
    let _ = counted.wait_for(|received| *received >= count).await;
}

/// SIGTERM and SIGINT, registered when made: from then on neither kills the process.
#[cfg(unix)]
struct ShutdownSignals {
    terminate: Option<tokio::signal::unix::Signal>,
    interrupt: Option<tokio::signal::unix::Signal>,
}

#[cfg(unix)]
impl ShutdownSignals {
    fn listen() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind, name: &str| {
            signal(kind)
                .inspect_err(|error| tracing::warn!(%error, "cannot listen for {name}"))
                .ok()
        };
        ShutdownSignals {
            terminate: listen(SignalKind::terminate(), "SIGTERM"),
            interrupt: listen(SignalKind::interrupt(), "SIGINT"),
        }
    }

    /// Completes on the next signal; never, when neither could be listened for.
    async fn next(&mut self) {
        async fn received(signal: &mut Option<tokio::signal::unix::Signal>) {
            let delivered = match signal {
                Some(signal) => signal.recv().await.is_some(),
                None => false,
            };
            if !delivered {
                std::future::pending::<()>().await;
            }
        }
        tokio::select! {
            () = received(&mut self.terminate) => {}
            () = received(&mut self.interrupt) => {}
        }
    }
}

/// Ctrl-C, where there are no Unix signals.
#[cfg(not(unix))]
struct ShutdownSignals;

#[cfg(not(unix))]
impl ShutdownSignals {
    fn listen() -> Self {
        ShutdownSignals
    }

    async fn next(&mut self) {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_holds_no_database_password() {
        let settings = Settings {
            source: Source::Database {
                url: "postgres://hub:db-password-0001@db:5432/hub".to_owned(),
                poll_interval: Duration::from_secs(30),
            },
            address: SocketAddr::from(([127, 0, 0, 1], 3000)),
            json_logs: true,
        };
        let text = format!("{settings:?} {settings:#?}");
        assert!(!text.contains("db-password-0001"), "{text}");
        assert!(text.contains("poll_interval"), "{text}");
    }
}
