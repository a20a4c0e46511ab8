//! An emulator of Azure OpenAI: OpenAI's bodies at Azure's deployment URLs, with its auth, its
//! `api-version` check, its content-filter annotations and its content-filter refusal.
//!
//! It answers `POST /openai/deployments/{deployment}/{chat/completions|completions|embeddings}
//! ?api-version=...` and nothing else. Each deployment stands for one model of the OpenAI
//! emulator, whose validation and replies it reuses; what Azure adds is layered on top.

mod api;
mod filters;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::server::{Pacing, Server};

/// The API versions the emulator accepts; any other is answered as Azure does, with 404.
pub const AZURE_API_VERSIONS: [&str; 6] = [
    "2024-02-01",
    "2024-06-01",
    "2024-10-21",
    "2024-12-01-preview",
    "2025-01-01-preview",
    "2025-04-01-preview",
];

/// A prompt holding this text is refused by the emulated content filter, with Azure's
/// `400 content_filter` error.
pub const CONTENT_FILTER_TRIGGER: &str = "trigger-content-filter";

/// How an [`AzureMock`] listens and answers.
#[derive(Clone, PartialEq, Eq)]
pub struct AzureMockConfig {
    /// Where to listen; `None` binds `127.0.0.1` on a port the OS picks.
    pub addr: Option<SocketAddr>,
    /// The only `api-key` accepted; `None` accepts any non-empty key.
    pub api_key: Option<String>,
    /// An Entra ID token accepted as `Authorization: Bearer`; `None` accepts no bearer.
    pub ad_token: Option<String>,
    /// Whether the `401` quotes the key or token presented, which the real service does not:
    /// the worst case of an upstream that echoes credentials, for testing that the gateway
    /// never passes one on. Default off.
    pub echo_credentials: bool,
    /// Delay before every response head, including injected faults. Default zero.
    pub latency: Duration,
    /// Delay between two events of a streamed response. Default zero.
    pub stream_chunk_delay: Duration,
    /// Deployment names and the OpenAI model each serves. The model's name decides what it
    /// serves, as in [`MockConfig::models`](crate::MockConfig::models).
    pub deployments: Vec<(String, String)>,
}

impl Default for AzureMockConfig {
    fn default() -> Self {
        let deployments = [
            ("gpt-4o", "gpt-4o"),
            ("gpt-35-turbo-instruct", "gpt-3.5-turbo-instruct"),
            ("text-embedding-3-small", "text-embedding-3-small"),
        ];
        Self {
            addr: None,
            api_key: None,
            ad_token: None,
            echo_credentials: false,
            latency: Duration::ZERO,
            stream_chunk_delay: Duration::ZERO,
            deployments: deployments
                .iter()
                .map(|(name, model)| ((*name).to_owned(), (*model).to_owned()))
                .collect(),
        }
    }
}

// Written by hand so neither credential reaches a log line.
impl fmt::Debug for AzureMockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("AzureMockConfig")
            .field("addr", &self.addr)
            .field("api_key", &redacted(&self.api_key))
            .field("ad_token", &redacted(&self.ad_token))
            .field("echo_credentials", &self.echo_credentials)
            .field("latency", &self.latency)
            .field("stream_chunk_delay", &self.stream_chunk_delay)
            .field("deployments", &self.deployments)
            .finish()
    }
}

/// A running emulator of Azure OpenAI on a loopback socket.
///
/// Dropping the handle stops the server; [`shutdown`](AzureMock::shutdown) also waits for it.
#[derive(Debug)]
pub struct AzureMock {
    server: Server<api::AzureApi>,
}

impl AzureMock {
    /// Binds `config.addr` (default `127.0.0.1:0`) and starts serving on the current runtime.
    pub async fn start(config: AzureMockConfig) -> io::Result<Self> {
        let pacing = Pacing {
            addr: config.addr,
            latency: config.latency,
            stream_chunk_delay: config.stream_chunk_delay,
        };
        let server = Server::start(api::AzureApi::new(config), pacing).await?;
        Ok(Self { server })
    }

    /// The resource endpoint an Azure client takes (`azure_endpoint`, Hub's `base_url`), such
    /// as `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    crate::server::handle_methods!(crate::Fault);
}
