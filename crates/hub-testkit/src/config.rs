//! The mock's configuration and the faults it can be told to inject.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// The models a [`MockConfig::default`] serves.
///
/// The name decides which endpoint accepts a model: `text-embedding-*` only on
/// `/v1/embeddings`, `*-instruct` only on `/v1/completions`, everything else on
/// `/v1/chat/completions`.
pub const DEFAULT_MODELS: [&str; 5] = [
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-3.5-turbo-instruct",
    "text-embedding-3-small",
    "text-embedding-3-large",
];

/// How an [`OpenAiMock`](crate::OpenAiMock) listens and answers.
#[derive(Clone, PartialEq, Eq)]
pub struct MockConfig {
    /// Where to listen; `None` binds `127.0.0.1` on a port the OS picks.
    pub addr: Option<SocketAddr>,
    /// The only bearer key accepted; `None` accepts any non-empty key.
    pub api_key: Option<String>,
    /// Whether a refused key is quoted whole in the `401`, instead of the first three and
    /// last four characters the real API shows: the worst case of an upstream that echoes
    /// credentials, for testing that the gateway never passes one on. Default off.
    pub echo_credentials: bool,
    /// Delay before every response head, including injected faults. Default zero.
    pub latency: Duration,
    /// Delay between two events of a streamed response. Default zero.
    pub stream_chunk_delay: Duration,
    /// Model ids that exist; any other id is answered with `404 model_not_found`.
    /// Default [`DEFAULT_MODELS`].
    pub models: Vec<String>,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            addr: None,
            api_key: None,
            echo_credentials: false,
            latency: Duration::ZERO,
            stream_chunk_delay: Duration::ZERO,
            models: DEFAULT_MODELS
                .iter()
                .map(|model| (*model).to_owned())
                .collect(),
        }
    }
}

// Written by hand so the key never reaches a log line.
impl fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockConfig")
            .field("addr", &self.addr)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("echo_credentials", &self.echo_credentials)
            .field("latency", &self.latency)
            .field("stream_chunk_delay", &self.stream_chunk_delay)
            .field("models", &self.models)
            .finish()
    }
}

/// A misbehaviour applied to every request received after
/// [`OpenAiMock::set_fault`](crate::OpenAiMock::set_fault), until it is cleared.
///
/// The request is still read and recorded first, so a test can check what arrived.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status and JSON body, plus `Retry-After: <seconds>` when given.
    /// A status outside 100..=999 is sent as 500.
    Status {
        status: u16,
        body: serde_json::Value,
        retry_after: Option<u64>,
    },
    /// Read the request, then close the TCP connection without sending a single byte.
    ResetBeforeResponse,
    /// Read the request and never answer; the connection stays open until shutdown.
    Stall,
    /// On streamed responses, send this many events, then close the connection mid-body:
    /// no `[DONE]` and no final empty chunk of the chunked encoding. Requests that are not
    /// streamed are answered normally.
    TruncateStream { after_chunks: usize },
    /// Answer `200` with `Content-Type: application/json` and a body that is not JSON.
    InvalidJson,
    /// Answer with this status and an HTML page, as a proxy in front of an API does.
    NotJson { status: u16 },
    /// On streamed responses, send this many events and the first half of the next (cut in
    /// the middle of its `data:` line), then close the connection.
    CutMidEvent { after_events: usize },
    /// On streamed responses, send this many events, then nothing more; the connection stays
    /// open until the client leaves or the emulator shuts down.
    StallStream { after_events: usize },
    /// On streamed responses, send the answer's events up to its middle one (a content delta
    /// for answers of a few words), then repeat that one forever, paced by the stream delay.
    EndlessStream,
    /// On streamed responses, send the answer's events up to its middle one, then a `data:`
    /// line that never ends.
    EndlessLine,
    /// Answer `200` with a JSON-looking body of this many bytes, produced as it is sent (in
    /// pieces paced by the stream delay, so a delay makes it trickle).
    Oversized { bytes: u64 },
}
