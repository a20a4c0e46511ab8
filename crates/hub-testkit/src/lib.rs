//! Strict emulators of the providers' HTTP APIs, served over real loopback sockets.
//!
//! Hub's integration tests and benchmarks point the gateway at an emulator instead of the real
//! provider. [`OpenAiMock`] answers `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`
//! and `/v1/models`; [`AzureMock`] serves the same operations at Azure OpenAI's deployment URLs,
//! with its auth, API versions and content-filter annotations; [`VertexMock`] serves Vertex AI's
//! `generateContent`, `streamGenerateContent` and `predict` behind the OAuth2 token endpoint a
//! service account signs its JWT for. Each answers with deterministic bodies, rejects malformed
//! requests with the status and error body the real API would send, records every request it
//! receives, and can misbehave on purpose through a [`Fault`] so that retries, timeouts and
//! stream handling can be tested against real TCP behaviour.
//!
//! It must never share code with the translator it tests: this crate depends on no other
//! `hub-*` crate, so a misunderstanding of the wire format cannot hide on both sides at once.
//!
//! ```no_run
//! use hub_testkit::{MockConfig, OpenAiMock};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let mock = OpenAiMock::start(MockConfig::default()).await?;
//! println!("point the gateway at {}", mock.base_url());
//! mock.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! [`AnthropicMock`] does the same for Anthropic's Messages API, with the same reply
//! convention, so one end-to-end script holds against either.
//! [`BedrockMock`] does the same for AWS Bedrock Runtime, SigV4 checks and eventstream frames
//! included, and [`AwsCredentialsMock`] serves the endpoints the AWS credential chain reads.
//!
//! Token counts are whitespace-separated words, not a real tokenizer, so tests can predict them.
//!
//! [`postgres`] gives database tests a PostgreSQL of their own: `DATABASE_URL`, or a
//! throwaway cluster, and a fresh database per test. [`python`] installs pinned tools from
//! PyPI into a virtualenv, and [`browser`] loads a page in headless Chromium.

mod anthropic;
mod auth;
mod azure;
mod bedrock;
mod body;
pub mod browser;
mod chat;
mod completions;
mod config;
mod embeddings;
mod error;
mod fault;
mod inputs;
mod mock;
mod models;
mod openai;
pub mod postgres;
pub mod python;
mod record;
mod server;
mod tokens;
mod validate;
mod vertex;

pub use anthropic::{ANTHROPIC_MODELS, AnthropicConfig, AnthropicMock, StreamError};
pub use azure::{AZURE_API_VERSIONS, AzureMock, AzureMockConfig, CONTENT_FILTER_TRIGGER};
pub use bedrock::{
    AwsCredentialsMock, AwsKey, BedrockFault, BedrockMock, BedrockMockConfig,
    CONTAINER_AUTHORIZATION_TOKEN, DEFAULT_BEDROCK_MODELS, WEB_IDENTITY_TOKEN,
};
pub use config::{DEFAULT_MODELS, Fault, MockConfig};
pub use mock::OpenAiMock;
pub use record::RecordedRequest;
pub use vertex::{
    TEST_SERVICE_ACCOUNT_EMAIL, TEST_SERVICE_ACCOUNT_KEY_ID, VertexMock, VertexMockConfig,
};
