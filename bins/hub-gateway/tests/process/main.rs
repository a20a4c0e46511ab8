//! The `hub-gateway` binary as users run it: configured by environment, refusing bad
//! configurations, stopping gracefully, and driven by the official `openai` Python client.

mod anthropic;
mod azure;
mod bedrock;
mod common;
mod healthcheck;
mod openai_python;
mod shutdown;
mod startup;
mod vertex;
