//! The `hub-gateway` binary as users run it: configured by environment, refusing bad
//! configurations, stopping gracefully, driven by the official `openai` Python client,
//! following a configuration database, and leaking nothing under broken upstreams.

mod access_keys;
mod admin;
mod anthropic;
mod azure;
mod bedrock;
mod common;
mod database;
mod faults;
mod healthcheck;
mod openai_python;
mod secrets;
mod shutdown;
mod startup;
mod vertex;
