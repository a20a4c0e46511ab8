//! End-to-end tests of the Bedrock emulator over real sockets: requests signed with AWS's own
//! `aws-sigv4`, answers and streams read with AWS's own eventstream decoder.

mod auth;
mod client;
mod converse;
mod credentials;
mod invoke;
