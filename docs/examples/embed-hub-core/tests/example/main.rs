//! The example's behaviour, checked against OpenAI-shaped vectors, and the page that walks
//! through it kept in step with its code.

mod config;
mod errors;
mod page;
mod requests;
mod streams;

use std::path::PathBuf;

/// A file of the example crate, by its path inside it.
fn read(path: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A vector as a JSON value, to compare with what `hub-core` encodes.
fn vector_json(name: &str) -> serde_json::Value {
    serde_json::from_str(&read(&format!("vectors/{name}"))).expect("the vector is JSON")
}
