//! The emulated Bedrock Runtime: each request's checks in AWS's order (route, signature, then
//! the fault in force, then the operation's own), and what each [`BedrockFault`] does.

use std::time::SystemTime;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::{HeaderValue, Method, Response};
use serde_json::{Map, Value};

use super::error::AwsError;
use super::sigv4::{self, Accepted};
use super::{BedrockFault, BedrockMockConfig, converse, frames, invoke, percent_decode};
use crate::body::{self, MockBody, StreamFault};
use crate::fault::{self, Action, Misbehaviour};
use crate::server::{Api, BodyError, Exchange};

/// The emulated Bedrock Runtime API.
#[derive(Debug)]
pub(super) struct BedrockApi {
    pub(super) config: BedrockMockConfig,
}

impl Api for BedrockApi {
    type Fault = BedrockFault;

    fn answer(
        &self,
        parts: &Parts,
        body: Result<Bytes, BodyError>,
        exchange: &Exchange,
    ) -> Response<MockBody> {
        // A body too large to read counts as empty, which no signature or operation accepts.
        let body = body.unwrap_or_default();
        let response = self
            .respond(parts, &body, exchange)
            .unwrap_or_else(AwsError::into_response);
        with_request_id(response, exchange)
    }

    /// Faults strike only what AWS's front end lets through: a routed, signed request.
    fn ignores_faults(&self, parts: &Parts, body: &Result<Bytes, BodyError>) -> bool {
        let body = body.as_deref().unwrap_or_default();
        self.admit(parts, body).is_err()
    }
}

impl BedrockApi {
    /// The model id and operation of a routed request whose signature holds.
    fn admit(&self, parts: &Parts, body: &[u8]) -> Result<(String, Operation), AwsError> {
        let routed = route(parts)?;
        let accepted = Accepted {
            region: &self.config.region,
            keys: &self.config.keys,
            api_keys: &self.config.api_keys,
            echo_credentials: self.config.echo_credentials,
        };
        sigv4::verify(parts, body, accepted, SystemTime::now())?;
        Ok(routed)
    }

    fn respond(
        &self,
        parts: &Parts,
        body: &Bytes,
        exchange: &Exchange,
    ) -> Result<Response<MockBody>, AwsError> {
        let (model_id, operation) = self.admit(parts, body)?;
        check_model(&self.config, &model_id, operation)?;
        let body = json_body(parts, body)?;
        match operation {
            Operation::Converse => converse::respond(&body, exchange, false),
            Operation::ConverseStream => converse::respond(&body, exchange, true),
            Operation::InvokeModel => invoke::respond(&body, &model_id, exchange.serial),
        }
    }
}

impl Misbehaviour for BedrockFault {
    fn action(self, exchange: &Exchange) -> Action {
        let answer = |response| Action::Answer(with_request_id(response, exchange));
        match self {
            BedrockFault::Exception { name, message } => {
                answer(AwsError::new(&name, message).into_response())
            }
            BedrockFault::NotJson { status } => answer(fault::html_page(status)),
            BedrockFault::Oversized { bytes } => {
                answer(body::oversized(bytes, exchange.stream.chunk_delay))
            }
            BedrockFault::ResetBeforeResponse => Action::Reset,
            BedrockFault::Stall => Action::Stall,
            BedrockFault::StreamException {
                after_events,
                exception_type,
                message,
            } => Action::Stream(StreamFault::EndWith {
                after: after_events,
                last: frames::exception(&exception_type, &message),
            }),
            BedrockFault::CorruptFrame { index } => Action::Stream(StreamFault::Corrupt { index }),
            BedrockFault::TruncateStream { after_events } => Action::Stream(StreamFault::Cut {
                after: after_events,
            }),
            BedrockFault::CutMidFrame { after_events } => {
                Action::Stream(StreamFault::CutMidEvent {
                    after: after_events,
                })
            }
            BedrockFault::StallStream { after_events } => Action::Stream(StreamFault::Stall {
                after: after_events,
            }),
            BedrockFault::EndlessStream => Action::Stream(StreamFault::Endless),
            BedrockFault::EndlessFrame => Action::Stream(StreamFault::EndlessEvent {
                head: frames::huge_prelude(),
            }),
        }
    }
}

/// The operations served, each `POST /model/{modelId}/<operation>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Converse,
    ConverseStream,
    InvokeModel,
}

/// The model id (decoded from its path segment) and the operation.
fn route(parts: &Parts) -> Result<(String, Operation), AwsError> {
    let unknown = || AwsError::new("UnknownOperationException", "Unknown operation");
    let rest = parts
        .uri
        .path()
        .strip_prefix("/model/")
        .ok_or_else(unknown)?;
    let (raw_id, operation) = rest.split_once('/').ok_or_else(unknown)?;
    let operation = match operation {
        "converse" => Operation::Converse,
        "converse-stream" => Operation::ConverseStream,
        "invoke" => Operation::InvokeModel,
        _ => return Err(unknown()),
    };
    if parts.method != Method::POST || raw_id.is_empty() {
        return Err(unknown());
    }
    Ok((percent_decode(raw_id, false), operation))
}

/// Whether the model names an embedding model, which only InvokeModel serves here.
fn is_embedding_model(model_id: &str) -> bool {
    model_id.contains("titan-embed") || model_id.contains("cohere.embed")
}

fn check_model(
    config: &BedrockMockConfig,
    model_id: &str,
    operation: Operation,
) -> Result<(), AwsError> {
    if !config.models.iter().any(|model| model == model_id) {
        return Err(AwsError::validation(
            "The provided model identifier is invalid.",
        ));
    }
    match (operation, is_embedding_model(model_id)) {
        (Operation::Converse | Operation::ConverseStream, true) => Err(AwsError::validation(
            "This action doesn't support the model that you provided. Try again with a \
                 supported text or chat model.",
        )),
        (Operation::InvokeModel, false) => Err(AwsError::validation(
            "This emulator serves InvokeModel for Titan and Cohere embedding models only.",
        )),
        _ => Ok(()),
    }
}

fn json_body(parts: &Parts, body: &Bytes) -> Result<Map<String, Value>, AwsError> {
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(AwsError::new(
            "UnsupportedMediaTypeException",
            format!("Unsupported Content-Type: '{content_type}'."),
        ));
    }

    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(AwsError::new(
            "SerializationException",
            "The request body is not a JSON object.",
        )),
    }
}

/// Bedrock tags every answer, errors included, with a request id.
fn with_request_id(mut response: Response<MockBody>, exchange: &Exchange) -> Response<MockBody> {
    let request_id = format!("00000000-0000-4000-8000-{:012x}", exchange.serial);
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    response
}
