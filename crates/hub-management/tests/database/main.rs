//! The management API and the gateway's config source against a real PostgreSQL, each test
//! in a database of its own.

mod api_keys;
mod common;
mod concurrency;
mod follow;
mod keys;
mod models;
mod pipelines;
mod providers;
mod refusals;
mod secrecy;
mod secrets;
mod source;
