//! The gateway served on loopback in front of the provider emulators, exercised over real
//! sockets: every endpoint streamed and not, bad input, and upstream faults.

mod access_keys;
mod anthropic;
mod azure;
mod backpressure;
mod bad_input;
mod bedrock;
mod common;
mod endpoints;
mod observability;
mod openapi;
mod otlp;
mod overload;
mod raw;
mod reload;
mod request_limits;
mod routing;
mod slow_clients;
mod upstream_faults;
mod vertex;
