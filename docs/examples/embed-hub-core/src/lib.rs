//! An example of a Rust service that embeds `hub-core`: it speaks OpenAI's chat API to Hub
//! (or to any OpenAI-compatible server) with Hub's own types, and answers its own clients'
//! errors the way Hub does. `docs/embedding.md` walks through it.
//!
//! - [`request`] builds a chat request with the typed API.
//! - [`answer`] reads a whole answer, and [`stream`] a streamed one, chunk by chunk.
//! - [`errors`] turns a `hub_core::Error` into an HTTP status and OpenAI's error body.
//! - [`config`] loads and validates a Hub configuration with `hub-config`.
//!
//! It sends nothing over a network: the transport is the embedding service's choice, and
//! `hub-core` never does I/O.

pub mod answer;
pub mod config;
pub mod errors;
pub mod request;
pub mod stream;
