//! Hub's fuzz targets: every parser that reads bytes from a client, an upstream or an
//! operator, each as a plain function of `&[u8]` that panics when a property fails.
//!
//! The same functions serve two drivers: the libFuzzer binary that `cargo xtask fuzz` builds
//! with coverage instrumentation (`src/bin/libfuzzer.rs`), and the `proptest` properties in
//! `tests/`, which run in the ordinary test suite over the corpus in `corpus/<target>/` and
//! mutations of it. Beyond "no panic", a target checks what is cheap to check: a request that
//! decodes re-encodes to the same request, and a stream decodes to the same events wherever
//! its chunk boundaries fall.
//!
//! A stream target's input is one byte that picks where the body is split into chunks,
//! then the body ([`split`]).

mod config;
mod management;
mod provider;
mod request;
mod stream;

pub use self::stream::split;

/// One fuzz target.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Its name on the command line and its corpus folder.
    pub name: &'static str,
    /// What it reads.
    pub about: &'static str,
    /// Runs one input; panics when a property fails.
    pub run: fn(&[u8]),
}

/// Every target, in the order `cargo xtask fuzz` runs them.
pub const TARGETS: &[Target] = &[
    target(
        "chat_request",
        "a chat completions request body",
        request::chat,
    ),
    target(
        "completion_request",
        "a completions request body",
        request::completion,
    ),
    target(
        "embeddings_request",
        "an embeddings request body",
        request::embeddings,
    ),
    target("sse", "a server-sent event stream", stream::sse),
    target(
        "eventstream",
        "a Bedrock eventstream body",
        stream::eventstream,
    ),
    target(
        "openai_answer",
        "an OpenAI chat answer or error body",
        provider::openai_answer,
    ),
    target(
        "openai_stream",
        "an OpenAI chat stream",
        provider::openai_stream,
    ),
    target(
        "azure_answer",
        "an Azure chat answer or error body",
        provider::azure_answer,
    ),
    target(
        "azure_stream",
        "an Azure chat stream",
        provider::azure_stream,
    ),
    target(
        "anthropic_answer",
        "an Anthropic Messages answer or error body",
        provider::anthropic_answer,
    ),
    target(
        "anthropic_stream",
        "an Anthropic Messages stream",
        provider::anthropic_stream,
    ),
    target(
        "vertexai_answer",
        "a Vertex AI generateContent answer or error body",
        provider::vertex_answer,
    ),
    target(
        "vertexai_stream",
        "a Vertex AI streamGenerateContent stream",
        provider::vertex_stream,
    ),
    target(
        "bedrock_answer",
        "a Bedrock Converse answer or error body",
        provider::bedrock_answer,
    ),
    target(
        "bedrock_stream",
        "a Bedrock ConverseStream eventstream body",
        provider::bedrock_stream,
    ),
    target(
        "config",
        "a YAML configuration with ${VAR} references",
        config::load,
    ),
    target(
        "management_request",
        "a management API request body or list query",
        management::request,
    ),
];

const fn target(name: &'static str, about: &'static str, run: fn(&[u8])) -> Target {
    Target { name, about, run }
}

/// The target called `name`.
pub fn find(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|target| target.name == name)
}
