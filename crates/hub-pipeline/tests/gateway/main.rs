//! The gateway served on loopback in front of the provider emulators, exercised over real
//! sockets: every endpoint streamed and not, bad input, and upstream faults.

mod access_keys;
mod anthropic;
mod azure;
mod bad_input;
mod bedrock;
mod common;
mod endpoints;
mod observability;
mod otlp;
mod reload;
mod routing;
mod upstream_faults;
mod vertex;
