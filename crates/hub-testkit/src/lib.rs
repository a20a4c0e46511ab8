//! A strict emulator of OpenAI's HTTP API, served over real loopback sockets.
//!
//! Hub's integration tests and benchmarks point the gateway at an [`OpenAiMock`] instead of
//! `api.openai.com`. The mock answers `/v1/chat/completions`, `/v1/completions`,
//! `/v1/embeddings` and `/v1/models` with deterministic bodies, rejects malformed requests with
//! the status and error body the real API would send, records every request it receives, and can
//! misbehave on purpose through a [`Fault`] so that retries, timeouts and stream handling can be
//! tested against real TCP behaviour.
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
//! Token counts are whitespace-separated words, not a real tokenizer, so tests can predict them.
//!
//! [`postgres`] gives database tests a PostgreSQL of their own: `DATABASE_URL`, or a
//! throwaway cluster, and a fresh database per test.

mod auth;
mod body;
mod chat;
mod completions;
mod config;
mod embeddings;
mod error;
mod fault;
mod inputs;
mod mock;
mod models;
pub mod postgres;
mod record;
mod server;
mod tokens;
mod validate;

pub use config::{DEFAULT_MODELS, Fault, MockConfig};
pub use mock::OpenAiMock;
pub use record::RecordedRequest;
