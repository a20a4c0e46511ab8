//! Hub's engine: the OpenAI-compatible HTTP surface, pipelines, and plugins as tower layers.
//!
//! A [`Snapshot`] is compiled once from a validated [`hub_core::config::HubConfig`]: every
//! provider adapter, model and pipeline built up front, so the request path allocates no
//! client and takes no lock. [`Gateway`] serves HTTP from a snapshot, and [`serve`] runs it
//! on a listener until shutdown, letting in-flight requests and streams finish.
//!
//! This crate does not know where its configuration came from (a file or a database), nor
//! any vendor's wire format: those belong to `hub-config` and `hub-providers`.

mod access;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod gateway;
mod limits;
mod openapi;
mod operation;
mod pipeline;
mod plugins;
mod request;
mod routes;
mod server;
mod snapshot;
mod stream;
pub mod telemetry;

pub use access::AccessKeyError;
pub use error::GatewayError;
pub use gateway::{Gateway, ResponseBody};
pub use server::serve;
pub use snapshot::{BuildError, Snapshot};
