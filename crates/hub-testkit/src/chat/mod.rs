//! `POST /v1/chat/completions`: strict validation, then a deterministic reply, whole or
//! streamed.

mod messages;
pub(crate) mod reply;
mod request;
mod wire;

use http::{Response, StatusCode};
use serde_json::{Map, Value};

pub(crate) use self::reply::{example_object, mentions_weather};
use self::request::ChatRequest;
use self::wire::{Envelope, Usage};
use crate::body::{self, MockBody};
use crate::error::ApiError;
use crate::models::{self, ModelKind};
use crate::server::Exchange;

pub(crate) fn respond(
    body: &Map<String, Value>,
    exchange: &Exchange<'_>,
) -> Result<Response<MockBody>, ApiError> {
    let request = ChatRequest::parse(body)?;
    models::check(exchange.config, request.model, ModelKind::Chat)?;

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
        let events = wire::stream_events(&envelope, &answer, request.include_usage);
        Ok(body::event_stream(events, exchange.stream))
    } else {
        Ok(body::json(
            StatusCode::OK,
            &wire::completion(&envelope, &answer),
        ))
    }
}
