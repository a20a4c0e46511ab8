//! Each provider's answers as an upstream may send them: a whole body (read as a chat answer,
//! a legacy completion, an embeddings answer and an error body), and a stream in chunks (read
//! as a chat stream and a legacy completion stream). Whatever the bytes, the result is a
//! translated answer or an error that makes an OpenAI error answer, never a panic. Operations
//! a provider does not serve fail at once.

use http::StatusCode;
use hub_core::Error;
use hub_core::config::ProviderType;
use hub_providers::fuzzing::{
    chat_answer, chat_stream, completion_answer, completion_stream, embeddings_answer, error_answer,
};
use serde::Serialize;

use crate::stream::split;

/// Statuses whose error bodies are read differently: a client fault kept as the upstream
/// said it, a rate limit, and a server fault.
const STATUSES: [StatusCode; 3] = [
    StatusCode::BAD_REQUEST,
    StatusCode::TOO_MANY_REQUESTS,
    StatusCode::SERVICE_UNAVAILABLE,
];

fn answer(provider: ProviderType, data: &[u8]) {
    encodable(chat_answer(provider, data));
    encodable(completion_answer(provider, data));
    encodable(embeddings_answer(provider, data));
    for status in STATUSES {
        answerable(&error_answer(provider, status, data));
    }
}

fn stream(provider: ProviderType, data: &[u8]) {
    let pieces = split(data);
    chat_stream(provider, &pieces)
        .into_iter()
        .for_each(encodable);
    completion_stream(provider, &pieces)
        .into_iter()
        .for_each(encodable);
}

/// Encodes an answer for the client, or makes the error answer.
fn encodable<T: Serialize>(item: Result<T, Error>) {
    match item {
        Ok(answer) => {
            serde_json::to_vec(&answer).expect("a translated answer encodes");
        }
        Err(error) => answerable(&error),
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
