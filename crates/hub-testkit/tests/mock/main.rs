//! End-to-end tests of the emulators (OpenAI's, Azure's built on it, and Vertex AI's): real
//! loopback sockets, a real HTTP client, and for the faults raw TCP reads so that what reaches the
//! wire is checked byte for byte.

mod auth;
mod azure;
mod chat;
mod client;
mod completions;
mod embeddings;
mod faults;
mod lifecycle;
mod models;
mod recording;
mod stream;
mod validation;
mod vertex;
