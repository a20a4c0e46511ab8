//! The gateway in front of the Anthropic emulator, over loopback sockets: OpenAI's chat API
//! served by Claude, whole, streamed, with tools, and when Anthropic fails.

mod chat;
mod errors;
pub(crate) mod harness;
mod stream;
mod tools;
