//! The emulated Messages API: the checks a request passes in the real API's order (route,
//! method, key, version, body, model), then the answer, each tagged with its request id.

use std::sync::Mutex;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::request::Parts;
use http::{HeaderMap, Method, Response, StatusCode};
use serde_json::{Map, Value};

use super::error::{ApiError, error_body, set_request_id};
use super::mock::{AnthropicConfig, StreamError};
use super::reply::{self, Envelope};
use super::request::MessagesRequest;
use crate::body::{self, MockBody};
use crate::config::Fault;
use crate::server::{Api, BodyError, Exchange, MAX_BODY_BYTES, lock};

/// The `anthropic-version` values the emulator knows: the documented one, its predecessor,
/// and the one the newest SDKs send (PROTOCOLS.md 2.1).
const VERSIONS: [&str; 3] = ["2023-01-01", "2023-06-01", "2026-10-21"];

/// The emulated Messages API.
#[derive(Debug)]
pub(super) struct AnthropicApi {
    config: AnthropicConfig,
    stream_error: Mutex<Option<StreamError>>,
}

impl AnthropicApi {
    pub(super) fn new(config: AnthropicConfig) -> Self {
        Self {
            config,
            stream_error: Mutex::new(None),
        }
    }

    pub(super) fn set_stream_error(&self, error: Option<StreamError>) {
        *lock(&self.stream_error) = error;
    }
}

impl Api for AnthropicApi {
    type Fault = Fault;

    fn answer(
        &self,
        parts: &Parts,
        body: Result<Bytes, BodyError>,
        exchange: &Exchange,
    ) -> Response<MockBody> {
        let request_id = format!("req_mock{:06}", exchange.serial);
        let response = body
            .map_err(unreadable)
            .and_then(|body| self.route(parts, &body, exchange, &request_id));
        let mut response = response.unwrap_or_else(|error| error.into_response(&request_id));
        set_request_id(&mut response, &request_id);
        response
    }
}

fn unreadable(error: BodyError) -> ApiError {
    match error {
        BodyError::TooLarge => ApiError::too_large(format!(
            "Request exceeds the maximum allowed number of bytes ({MAX_BODY_BYTES})."
        )),
        BodyError::Unreadable => ApiError::invalid("The request body could not be read."),
    }
}

impl AnthropicApi {
    fn route(
        &self,
        parts: &Parts,
        body: &Bytes,
        exchange: &Exchange,
        request_id: &str,
    ) -> Result<Response<MockBody>, ApiError> {
        if parts.uri.path() != "/v1/messages" {
            return Err(ApiError::not_found("Not Found"));
        }
        if parts.method != Method::POST {
            let message = format!("Method {} is not allowed for /v1/messages.", parts.method);
            return Err(ApiError::invalid(message).with_status(StatusCode::METHOD_NOT_ALLOWED));
        }
        check_key(&parts.headers, &self.config)?;
        check_version(&parts.headers)?;

        let body = json_object(&parts.headers, body)?;
        let request = MessagesRequest::parse(&body)?;
        if !self
            .config
            .models
            .iter()
            .any(|model| model == request.model)
        {
            return Err(ApiError::not_found(format!("model: {}", request.model)));
        }
        Ok(self.respond(&request, exchange, request_id))
    }

    fn respond(
        &self,
        request: &MessagesRequest<'_>,
        exchange: &Exchange,
        request_id: &str,
    ) -> Response<MockBody> {
        let answer = reply::answer(request, exchange.serial);
        let envelope = Envelope {
            id: format!("msg_mock{:06}", exchange.serial),
            model: request.model,
            input_tokens: reply::input_tokens(request),
        };

        if !request.stream {
            return body::json(StatusCode::OK, &reply::message(&envelope, &answer));
        }
        let mut events = reply::stream_events(&envelope, &answer);
        if let Some(error) = lock(&self.stream_error).clone() {
            events.truncate(error.after_events);
            let data = error_body(&error.kind, &error.message, request_id);
            events.push(reply::event("error", &data));
        }
        body::events_body(events, &exchange.stream)
    }
}

/// `x-api-key`, as documented, or `Authorization: Bearer`, as the newest SDKs send it.
fn check_key(headers: &HeaderMap, config: &AnthropicConfig) -> Result<(), ApiError> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    };
    let bearer = header(AUTHORIZATION.as_str())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    let presented = header("x-api-key").or(bearer).filter(|key| !key.is_empty());

    match (presented, config.api_key.as_deref()) {
        (None, _) => Err(ApiError::authentication("x-api-key header is required")),
        (Some(key), Some(expected)) if key != expected && config.echo_credentials => Err(
            ApiError::authentication(format!("invalid x-api-key: {key}")),
        ),
        (Some(key), Some(expected)) if key != expected => {
            Err(ApiError::authentication("invalid x-api-key"))
        }
        _ => Ok(()),
    }
}

fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    let version = headers
        .get("anthropic-version")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    match version {
        None => Err(ApiError::invalid("anthropic-version: header is required")),
        Some(version) if !VERSIONS.contains(&version.trim()) => Err(ApiError::invalid(format!(
            "anthropic-version: invalid version '{version}'"
        ))),
        Some(_) => Ok(()),
    }
}

fn json_object(headers: &HeaderMap, body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::invalid(format!(
            "Unsupported content type '{content_type}'; send application/json."
        )));
    }

    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid("Input should be a valid dictionary")),
        Err(_) => Err(ApiError::invalid(
            "There was an error parsing the body of your request: invalid JSON.",
        )),
    }
}
