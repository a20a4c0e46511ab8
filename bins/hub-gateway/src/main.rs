//! `hub-gateway`: reads its settings from the environment, loads the configuration, and
//! serves the gateway until SIGTERM or SIGINT, letting in-flight requests finish.
//! `hub-gateway healthcheck` probes a running one instead (see `healthcheck`).
//!
//! Composition only: the serving logic lives in the library crates.

mod healthcheck;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use hub_config::ProcessEnvironment;
use hub_pipeline::{Gateway, Snapshot};
use tokio::net::TcpListener;
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
    config_path: PathBuf,
    address: SocketAddr,
    json_logs: bool,
}

impl Settings {
    fn from_env() -> anyhow::Result<Settings> {
        let mode = std::env::var("HUB_MODE").unwrap_or_else(|_| "yaml".to_owned());
        match mode.as_str() {
            "yaml" => {}
            "database" => bail!("HUB_MODE=database is not available in this version; use yaml"),
            other => bail!("HUB_MODE must be `yaml` or `database`, not `{other}`"),
        }

        let config_path = std::env::var_os("CONFIG_FILE_PATH")
            .map_or_else(|| PathBuf::from("config.yaml"), PathBuf::from);
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
            config_path,
            address,
            json_logs,
        })
    }
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

    let config =
        hub_config::load_file(&settings.config_path, &ProcessEnvironment).with_context(|| {
            format!(
                "refusing to start: {} is invalid",
                settings.config_path.display()
            )
        })?;
    let snapshot = Snapshot::build(&config).context("refusing to start")?;
    let metrics = hub_pipeline::telemetry::metrics::install()
        .context("cannot install the metrics recorder")?;

    let listener = TcpListener::bind(settings.address)
        .await
        .with_context(|| format!("cannot listen on {}", settings.address))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, config = %settings.config_path.display(), "hub-gateway listening");

    let gateway = Gateway::new(snapshot).with_metrics(metrics);
    hub_pipeline::serve(listener, gateway, shutdown_signal()).await;

    // Spans still queued leave before the process does.
    tokio::task::spawn_blocking(hub_pipeline::telemetry::flush).await?;
    tracing::info!("hub-gateway stopped");
    Ok(())
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
                    tracing::warn!(%error, "cannot listen for SIGTERM; only SIGINT stops the gateway");
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
