//! The Anthropic emulator over real loopback sockets: what it refuses, what it answers, how it
//! streams, and how it fails on purpose.

mod client;
mod faults;
mod replies;
mod validation;
