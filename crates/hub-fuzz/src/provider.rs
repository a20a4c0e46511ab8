//! Each provider's answers as an upstream may send them: a whole body (read both as an
//! answer and as an error body), and a stream in chunks. Whatever the bytes, the result is a
//! translated answer or an error that makes an OpenAI error answer, never a panic.

use http::StatusCode;
use hub_core::Error;
use hub_core::config::ProviderType;
use hub_providers::fuzzing::{chat_answer, chat_stream, error_answer};

use crate::stream::split;

/// Statuses whose error bodies are read differently: a client fault kept as the upstream
/// said it, a rate limit, and a server fault.
const STATUSES: [StatusCode; 3] = [
    StatusCode::BAD_REQUEST,
    StatusCode::TOO_MANY_REQUESTS,
    StatusCode::SERVICE_UNAVAILABLE,
];

fn answer(provider: ProviderType, data: &[u8]) {
    match chat_answer(provider, data) {
        Ok(completion) => {
            serde_json::to_vec(&completion).expect("a chat completion encodes");
        }
        Err(error) => answerable(&error),
    }
    for status in STATUSES {
        answerable(&error_answer(provider, status, data));
    }
}

fn stream(provider: ProviderType, data: &[u8]) {
    for item in chat_stream(provider, &split(data)) {
        match item {
            Ok(chunk) => {
                serde_json::to_vec(&chunk).expect("a chunk encodes");
            }
            Err(error) => answerable(&error),
        }
    }
}

/// Makes the status and OpenAI error body the client would get.
fn answerable(error: &Error) {
    let _ = (error.status(), error.to_body());
}

pub(crate) fn openai_answer(data: &[u8]) {
    answer(ProviderType::OpenAi, data);
}

pub(crate) fn openai_stream(data: &[u8]) {
    stream(ProviderType::OpenAi, data);
}

pub(crate) fn azure_answer(data: &[u8]) {
    answer(ProviderType::Azure, data);
}

pub(crate) fn azure_stream(data: &[u8]) {
    stream(ProviderType::Azure, data);
}

pub(crate) fn anthropic_answer(data: &[u8]) {
    answer(ProviderType::Anthropic, data);
}

pub(crate) fn anthropic_stream(data: &[u8]) {
    stream(ProviderType::Anthropic, data);
}

pub(crate) fn vertex_answer(data: &[u8]) {
    answer(ProviderType::VertexAi, data);
}

pub(crate) fn vertex_stream(data: &[u8]) {
    stream(ProviderType::VertexAi, data);
}

pub(crate) fn bedrock_answer(data: &[u8]) {
    answer(ProviderType::Bedrock, data);
}

pub(crate) fn bedrock_stream(data: &[u8]) {
    stream(ProviderType::Bedrock, data);
}
