//! `POST /v1/chat/completions`: strict validation, then a deterministic reply, whole or
//! streamed.

mod messages;
pub(crate) mod reply;
mod request;
mod wire;

use http::Response;
use serde_json::{Map, Value};

pub(crate) use self::reply::{example_object, mentions_weather};
use self::request::ChatRequest;
use self::wire::{Envelope, Usage};
use crate::body::{self, MockBody, Rendered};
use crate::config::MockConfig;
use crate::error::ApiError;
use crate::models::{self, ModelKind};
use crate::server::Exchange;

pub(crate) fn respond(
    config: &MockConfig,
    body: &Map<String, Value>,
    exchange: &Exchange,
) -> Result<Response<MockBody>, ApiError> {
    Ok(render(config, body, exchange)?.into_response(&exchange.stream))
}

/// The reply to a valid request, before it is framed.
pub(crate) fn render(
    config: &MockConfig,
    body: &Map<String, Value>,
    exchange: &Exchange,
) -> Result<Rendered, ApiError> {
    let request = ChatRequest::parse(body)?;
    models::check(config, request.model, ModelKind::Chat)?;

    let answer = reply::answer(&request);
    let completion_tokens = answer.tokens() * request.n;
    let envelope = Envelope {
        id: format!("chatcmpl-mock{:06}", exchange.serial),
        created: exchange.created,
        model: models::snapshot(request.model),
        serial: exchange.serial,
        n: request.n,
        usage: Usage::new(reply::prompt_tokens(&request), completion_tokens),
    };

    if request.stream {
        let chunks = wire::stream_chunks(&envelope, &answer, request.include_usage);
        Ok(Rendered::Events(chunks))
    } else {
        Ok(Rendered::Whole(body::value(&wire::completion(
            &envelope, &answer,
        ))))
    }
}
