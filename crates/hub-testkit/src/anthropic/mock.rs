//! [`AnthropicMock`], the handle a test holds on a running emulator, and its configuration.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::server::{self, State};
use crate::config::Fault;
use crate::record::RecordedRequest;

/// The models an [`AnthropicConfig::default`] serves.
pub const ANTHROPIC_MODELS: [&str; 3] =
    ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"];

/// How an [`AnthropicMock`] listens and answers.
#[derive(Clone, PartialEq, Eq)]
pub struct AnthropicConfig {
    /// Where to listen; `None` binds `127.0.0.1` on a port the OS picks.
    pub addr: Option<SocketAddr>,
    /// The only key accepted, in `x-api-key` or as a bearer token; `None` accepts any
    /// non-empty key.
    pub api_key: Option<String>,
    /// Whether the `401` quotes the key presented, which the real API does not: the worst
    /// case of an upstream that echoes credentials, for testing that the gateway never passes
    /// one on. Default off.
    pub echo_credentials: bool,
    /// Delay before every response head, including injected faults. Default zero.
    pub latency: Duration,
    /// Delay between two events of a streamed response. Default zero.
    pub stream_chunk_delay: Duration,
    /// Model ids that exist; any other is answered with `404 not_found_error`.
    /// Default [`ANTHROPIC_MODELS`].
    pub models: Vec<String>,
}

impl Default for AnthropicConfig {
    fn default() -> Self {
        Self {
            addr: None,
            api_key: None,
            echo_credentials: false,
            latency: Duration::ZERO,
            stream_chunk_delay: Duration::ZERO,
            models: ANTHROPIC_MODELS
                .iter()
                .map(|model| (*model).to_owned())
                .collect(),
        }
    }
}

// Written by hand so the key never reaches a log line.
impl fmt::Debug for AnthropicConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicConfig")
            .field("addr", &self.addr)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("echo_credentials", &self.echo_credentials)
            .field("latency", &self.latency)
            .field("stream_chunk_delay", &self.stream_chunk_delay)
            .field("models", &self.models)
            .finish()
    }
}

/// An `error` event sent in the middle of every streamed answer after
/// [`AnthropicMock::set_stream_error`], as Anthropic does when it fails after the 200.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    /// How many of the answer's events go out before the error; the stream ends after it.
    pub after_events: usize,
    /// Anthropic's error type, such as `overloaded_error`.
    pub kind: String,
    pub message: String,
}

/// A running emulator of Anthropic's Messages API on a loopback socket.
// TODO: serve through the shared `server::Server` and `Api`, as the OpenAI-shaped mocks do.
///
/// Dropping the handle stops the server task and every open connection; [`shutdown`] does the
/// same and waits until it is done.
///
/// [`shutdown`]: AnthropicMock::shutdown
#[derive(Debug)]
pub struct AnthropicMock {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl AnthropicMock {
    /// Binds `config.addr` (default `127.0.0.1:0`) and starts serving on the current runtime.
    pub async fn start(config: AnthropicConfig) -> io::Result<Self> {
        let addr = config
            .addr
            .unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;

        let state = Arc::new(State::new(config));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(server::serve(listener, Arc::clone(&state), stopped));

        Ok(Self {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL Anthropic's SDKs and Hub's `base_url` take, such as
    /// `http://127.0.0.1:41234`: without `/v1`, which the client adds.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Injects `fault` into every request received from now on; `None` restores normal service.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.state.set_fault(fault);
    }

    /// Ends every streamed answer from now on with `error`; `None` restores normal streams.
    pub fn set_stream_error(&self, error: Option<StreamError>) {
        self.state.set_stream_error(error);
    }

    /// Delays every later response head by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        self.state.set_latency(latency);
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// How many client connections are open now, so a test can see a caller hang up.
    pub fn open_connections(&self) -> usize {
        self.state.open_connections()
    }

    /// Stops accepting, closes every open connection (stalled ones included) and waits for the
    /// server task to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // The server only ends early if it panicked, and then there is nothing to stop.
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            tracing::debug!(%error, "mock server task ended abnormally");
        }
    }
}

impl Drop for AnthropicMock {
    fn drop(&mut self) {
        // Aborting drops the listener and the set of connection tasks, which aborts them too.
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
