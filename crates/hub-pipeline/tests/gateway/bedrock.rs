//! The gateway in front of the Bedrock emulator, over loopback sockets: every request signed
//! and checked, chat, streams, tools, embeddings and Bedrock's errors.

mod chat;
mod embeddings;
mod errors;
pub(crate) mod harness;
mod stream;
