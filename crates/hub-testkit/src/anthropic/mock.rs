//! [`AnthropicMock`], the handle a test holds on a running emulator, and its configuration.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use super::api::AnthropicApi;
use crate::server::{Pacing, Server};

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
///
/// Dropping the handle stops the server task and every open connection; [`shutdown`] does the
/// same and waits until it is done.
///
/// [`shutdown`]: AnthropicMock::shutdown
#[derive(Debug)]
pub struct AnthropicMock {
    server: Server<AnthropicApi>,
}

impl AnthropicMock {
    /// Binds `config.addr` (default `127.0.0.1:0`) and starts serving on the current runtime.
    pub async fn start(config: AnthropicConfig) -> io::Result<Self> {
        let pacing = Pacing {
            addr: config.addr,
            latency: config.latency,
            stream_chunk_delay: config.stream_chunk_delay,
        };
        let server = Server::start(AnthropicApi::new(config), pacing).await?;
        Ok(Self { server })
    }

    /// The base URL Anthropic's SDKs and Hub's `base_url` take, such as
    /// `http://127.0.0.1:41234`: without `/v1`, which the client adds.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// Ends every streamed answer from now on with `error`; `None` restores normal streams.
    pub fn set_stream_error(&self, error: Option<StreamError>) {
        self.server.api().set_stream_error(error);
    }

    crate::server::handle_methods!(crate::Fault);
}
