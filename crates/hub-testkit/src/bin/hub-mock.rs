//! `hub-mock`: OpenAI's API emulated on a local port, to try the gateway without an API key.
//!
//! ```text
//! hub-mock --addr 127.0.0.1:8000 --latency-ms 50 --chunk-delay-ms 20
//! ```
//!
//! Every flag has an environment fallback (`HUB_MOCK_ADDR`, `HUB_MOCK_API_KEY`,
//! `HUB_MOCK_LATENCY_MS`, `HUB_MOCK_CHUNK_DELAY_MS`, `HUB_MOCK_MODELS`). Set `RUST_LOG=debug`
//! to see one line per request.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use hub_testkit::{MockConfig, OpenAiMock};
use tracing::info;
use tracing_subscriber::EnvFilter;

/// Serve a strict emulator of OpenAI's API with deterministic answers.
#[derive(Debug, Parser)]
#[command(name = "hub-mock", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "HUB_MOCK_ADDR", default_value = "127.0.0.1:8000")]
    addr: SocketAddr,

    /// The only bearer key accepted; without it any non-empty key is.
    #[arg(long, env = "HUB_MOCK_API_KEY", hide_env_values = true)]
    api_key: Option<String>,

    /// Delay before every response head, in milliseconds.
    #[arg(long, env = "HUB_MOCK_LATENCY_MS", default_value_t = 0)]
    latency_ms: u64,

    /// Delay between two events of a streamed response, in milliseconds.
    #[arg(long, env = "HUB_MOCK_CHUNK_DELAY_MS", default_value_t = 0)]
    chunk_delay_ms: u64,

    /// A model id to serve instead of the default list; repeat, or separate with commas.
    #[arg(long = "model", env = "HUB_MOCK_MODELS", value_delimiter = ',')]
    models: Vec<String>,
}

impl Args {
    fn into_config(self) -> MockConfig {
        let defaults = MockConfig::default();
        MockConfig {
            addr: Some(self.addr),
            api_key: self.api_key,
            echo_credentials: false,
            latency: Duration::from_millis(self.latency_ms),
            stream_chunk_delay: Duration::from_millis(self.chunk_delay_ms),
            models: if self.models.is_empty() {
                defaults.models
            } else {
                self.models
            },
        }
    }
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let args = Args::parse();
    let key_required = args.api_key.is_some();
    let mock = OpenAiMock::start(args.into_config()).await?;
    info!(base_url = %mock.base_url(), key_required, "hub-mock listening");

    shutdown_signal().await?;
    info!("hub-mock shutting down");
    mock.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn shutdown_signal() -> io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};

    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn shutdown_signal() -> io::Result<()> {
    tokio::signal::ctrl_c().await
}
