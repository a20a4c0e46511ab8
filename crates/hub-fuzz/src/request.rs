//! Client request bodies, through the gateway's own decoding and checks, then through every
//! provider's translation of chat and embeddings requests.

use hub_core::config::ProviderType;
use hub_pipeline::fuzzing::{Endpoint, Request, prepare};

const PROVIDERS: [ProviderType; 5] = [
    ProviderType::OpenAi,
    ProviderType::Azure,
    ProviderType::Anthropic,
    ProviderType::VertexAi,
    ProviderType::Bedrock,
];

pub(crate) fn chat(data: &[u8]) {
    let Some(Request::Chat(request)) = decoded(Endpoint::Chat, data) else {
        return;
    };
    for provider in PROVIDERS {
        if let Err(error) = hub_providers::fuzzing::chat_request(provider, request.clone()) {
            let _ = (error.status(), error.to_body());
        }
    }
}

pub(crate) fn completion(data: &[u8]) {
    decoded(Endpoint::Completion, data);
}

pub(crate) fn embeddings(data: &[u8]) {
    let Some(Request::Embeddings(request)) = decoded(Endpoint::Embeddings, data) else {
        return;
    };
    for provider in PROVIDERS {
        if let Err(error) = hub_providers::fuzzing::embeddings_request(provider, &request) {
            let _ = (error.status(), error.to_body());
        }
    }
}

/// The request `data` decodes to, after checking that it re-encodes to JSON that decodes to
/// the same request; a refused body must still make an error answer.
fn decoded(endpoint: Endpoint, data: &[u8]) -> Option<Request> {
    let request = match prepare(endpoint, data) {
        Ok(request) => request,
        Err(error) => {
            let _ = (error.status(), error.to_body());
            return None;
        }
    };

    let encoded = match &request {
        Request::Chat(request) => serde_json::to_vec(request),
        Request::Completion(request) => serde_json::to_vec(request),
        Request::Embeddings(request) => serde_json::to_vec(request),
    };
    let encoded = encoded.expect("a decoded request encodes");
    let again = prepare(endpoint, &encoded).expect("a re-encoded request is accepted");
    assert_eq!(
        again,
        request,
        "re-encoded as {}",
        String::from_utf8_lossy(&encoded)
    );
    Some(request)
}
