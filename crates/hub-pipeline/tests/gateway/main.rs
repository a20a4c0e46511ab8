//! The gateway served on loopback in front of the OpenAI emulator, exercised over real
//! sockets: every endpoint streamed and not, bad input, and upstream faults.

mod bad_input;
mod bedrock;
mod common;
mod endpoints;
mod upstream_faults;
