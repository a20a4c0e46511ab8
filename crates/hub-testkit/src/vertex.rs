//! An emulator of Google Vertex AI: `generateContent`, `streamGenerateContent` and a text
//! embedding model's `predict`, behind OAuth2 access tokens or an API key, with the OAuth2
//! token endpoint that issues the tokens.
//!
//! The token endpoint takes the JWT-bearer grant a service account makes, and checks the JWT
//! as Google does: its RS256 signature against the test service account's public key (the
//! key pair in `fixtures/`, which is for tests only), its header, claims and lifetime.
//! [`VertexMock::service_account_json`] is the key file a client needs to talk to it. The API
//! endpoints take only tokens it issued and has not seen expire.

mod api;
mod error;
mod fields;
mod generate;
mod oauth;
mod predict;
mod reply;
mod schema;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::server::{Pacing, Server};

/// The test service account's address, the `iss` its JWTs must carry.
pub const TEST_SERVICE_ACCOUNT_EMAIL: &str = "hub-test@hub-test-project.iam.gserviceaccount.com";

/// The id of the test service account's key, the `kid` its JWTs must carry.
pub const TEST_SERVICE_ACCOUNT_KEY_ID: &str = "3f1c0de8b5e2a7d94c6b1a0e2f7d8c9b0a1e2f3d";

/// The test service account's private key (PKCS#8 PEM). Published on purpose: tests only.
const TEST_PRIVATE_KEY: &str = include_str!("../fixtures/test-service-account-key.pem");

/// How a [`VertexMock`] listens and answers.
#[derive(Clone, PartialEq, Eq)]
pub struct VertexMockConfig {
    /// Where to listen; `None` binds `127.0.0.1` on a port the OS picks.
    pub addr: Option<SocketAddr>,
    /// The project in every path; another is refused as permission denied.
    pub project_id: String,
    /// The location in every path.
    pub location: String,
    /// An API key accepted in `x-goog-api-key`; `None` accepts access tokens only.
    pub api_key: Option<String>,
    /// Whether a refused API key or access token is quoted in the error, which the real API
    /// does not do: the worst case of an upstream that echoes credentials, for testing that
    /// the gateway never passes one on. Default off.
    pub echo_credentials: bool,
    /// How long an issued access token is valid; default one hour, as Google's are.
    pub token_lifetime: Duration,
    /// Model ids that exist. A name with `embedding` in it is a text embedding model, served
    /// by `predict` only; any other is a Gemini model, served by the generate methods.
    pub models: Vec<String>,
    /// Delay before every response head, including injected faults. Default zero.
    pub latency: Duration,
    /// Delay between two events of a streamed response. Default zero.
    pub stream_chunk_delay: Duration,
}

impl Default for VertexMockConfig {
    fn default() -> Self {
        let models = [
            "gemini-2.5-flash",
            "gemini-2.0-flash-001",
            "text-embedding-005",
        ];
        Self {
            addr: None,
            project_id: "hub-test-project".to_owned(),
            location: "us-central1".to_owned(),
            api_key: None,
            echo_credentials: false,
            token_lifetime: Duration::from_secs(3600),
            models: models.iter().map(|model| (*model).to_owned()).collect(),
            latency: Duration::ZERO,
            stream_chunk_delay: Duration::ZERO,
        }
    }
}

// Written by hand so the key never reaches a log line.
impl fmt::Debug for VertexMockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VertexMockConfig")
            .field("addr", &self.addr)
            .field("project_id", &self.project_id)
            .field("location", &self.location)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("echo_credentials", &self.echo_credentials)
            .field("token_lifetime", &self.token_lifetime)
            .field("models", &self.models)
            .field("latency", &self.latency)
            .field("stream_chunk_delay", &self.stream_chunk_delay)
            .finish()
    }
}

/// A running emulator of Vertex AI and its token endpoint on a loopback socket.
///
/// Faults set with [`set_fault`](VertexMock::set_fault) apply to the Vertex AI API, not to
/// the token endpoint, which stands in for another server.
#[derive(Debug)]
pub struct VertexMock {
    server: Server<api::VertexApi>,
}

impl VertexMock {
    /// Binds `config.addr` (default `127.0.0.1:0`) and starts serving on the current runtime.
    pub async fn start(config: VertexMockConfig) -> io::Result<Self> {
        let pacing = Pacing {
            addr: config.addr,
            latency: config.latency,
            stream_chunk_delay: config.stream_chunk_delay,
        };
        let server = Server::start(api::VertexApi::new(config), pacing).await?;
        Ok(Self { server })
    }

    /// The endpoint a Vertex client takes (Hub's `base_url`), such as `http://127.0.0.1:41234`;
    /// the API's paths start with `/v1/projects/`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// The OAuth2 token endpoint, the `token_uri` of [`service_account_json`].
    ///
    /// [`service_account_json`]: VertexMock::service_account_json
    pub fn token_uri(&self) -> String {
        format!("http://{}/token", self.addr())
    }

    /// A service-account key file for the test account, whose `token_uri` is this emulator.
    pub fn service_account_json(&self) -> String {
        let key = serde_json::json!({
            "type": "service_account",
            "project_id": "hub-test-project",
            "private_key_id": TEST_SERVICE_ACCOUNT_KEY_ID,
            "private_key": TEST_PRIVATE_KEY,
            "client_email": TEST_SERVICE_ACCOUNT_EMAIL,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri(),
        });
        key.to_string()
    }

    crate::server::handle_methods!(crate::Fault);
}
