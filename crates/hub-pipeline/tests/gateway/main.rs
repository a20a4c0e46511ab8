//! The gateway served on loopback in front of the provider emulators, exercised over real
//! sockets: every endpoint streamed and not, bad input, and upstream faults.

mod azure;
mod bad_input;
mod common;
mod endpoints;
mod upstream_faults;
mod vertex;
