//! The emulator's accept loop, one hyper HTTP/1.1 connection per socket, and the checks a
//! request passes in the real API's order: route, method, key, version, body, model.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::request::Parts;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tracing::debug;

use super::error::{ApiError, error_body, set_request_id};
use super::mock::{AnthropicConfig, StreamError};
use super::reply::{self, Envelope};
use super::request::MessagesRequest;
use crate::body::{self, MockBody, StreamPlan};
use crate::config::Fault;
use crate::fault::{self, Action};
use crate::record::RecordedRequest;

/// Messages on the API are limited to 32 MB (PROTOCOLS.md 2.5).
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The `anthropic-version` values the emulator knows: the documented one, its predecessor,
/// and the one the newest SDKs send (PROTOCOLS.md 2.1).
const VERSIONS: [&str; 3] = ["2023-01-01", "2023-06-01", "2026-10-21"];

/// What the handle and every connection share.
#[derive(Debug)]
pub(crate) struct State {
    config: AnthropicConfig,
    fault: Mutex<Option<Fault>>,
    stream_error: Mutex<Option<StreamError>>,
    latency: Mutex<Duration>,
    requests: Mutex<Vec<RecordedRequest>>,
    next_id: AtomicU64,
    open_connections: AtomicUsize,
}

impl State {
    pub(crate) fn new(config: AnthropicConfig) -> Self {
        Self {
            latency: Mutex::new(config.latency),
            config,
            fault: Mutex::new(None),
            stream_error: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            open_connections: AtomicUsize::new(0),
        }
    }

    pub(crate) fn open_connections(&self) -> usize {
        self.open_connections.load(Ordering::SeqCst)
    }

    pub(crate) fn set_fault(&self, fault: Option<Fault>) {
        *lock(&self.fault) = fault;
    }

    pub(crate) fn set_stream_error(&self, error: Option<StreamError>) {
        *lock(&self.stream_error) = error;
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        *lock(&self.latency) = latency;
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }
}

/// Every critical section is a single assignment, push or clone, so data behind a poisoned
/// lock is still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The error that makes hyper close the connection without writing a response.
#[derive(Debug, thiserror::Error)]
#[error("connection reset by the ResetBeforeResponse fault")]
struct InjectedReset;

/// Accepts connections until `stop` fires, then closes every connection still open.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&state)));
                }
                Err(error) => {
                    // Running out of file descriptors clears up as connections close.
                    debug!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection(stream: TcpStream, state: Arc<State>) {
    // Streamed events are small writes that must leave at once, not wait for Nagle.
    if let Err(error) = stream.set_nodelay(true) {
        debug!(%error, "could not disable Nagle's algorithm");
    }

    state.open_connections.fetch_add(1, Ordering::SeqCst);
    let counted = Arc::clone(&state);
    let service = service_fn(move |request| handle(Arc::clone(&state), request));
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    if let Err(error) = connection.await {
        debug!(%error, "connection closed with an error");
    }
    counted.open_connections.fetch_sub(1, Ordering::SeqCst);
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<MockBody>, InjectedReset> {
    let (parts, body) = request.into_parts();
    let body = read_body(body).await;
    let recorded = RecordedRequest::new(&parts, body.as_ref().unwrap_or(&Bytes::new()));
    lock(&state.requests).push(recorded);
    debug!(method = %parts.method, path = %parts.uri, "request received");

    let action = fault::action(lock(&state.fault).clone(), state.config.stream_chunk_delay);
    let latency = *lock(&state.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let stream_fault = match action {
        Action::Answer(response) => return Ok(response),
        Action::Reset => return Err(InjectedReset),
        Action::Stall => return std::future::pending().await,
        Action::Serve { stream } => stream,
    };

    let serial = state.next_id.fetch_add(1, Ordering::Relaxed);
    let exchange = Exchange {
        config: &state.config,
        serial,
        request_id: format!("req_mock{serial:06}"),
        stream: StreamPlan {
            chunk_delay: state.config.stream_chunk_delay,
            fault: stream_fault,
        },
        stream_error: lock(&state.stream_error).clone(),
    };
    let response = body.and_then(|body| route(&parts, &body, &exchange));
    let mut response = response.unwrap_or_else(|error| error.into_response(&exchange.request_id));
    set_request_id(&mut response, &exchange.request_id);
    Ok(response)
}

async fn read_body(body: Incoming) -> Result<Bytes, ApiError> {
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(ApiError::too_large(format!(
            "Request exceeds the maximum allowed number of bytes ({MAX_BODY_BYTES})."
        ))),
        Err(error) => {
            debug!(%error, "could not read the request body");
            Err(ApiError::invalid("The request body could not be read."))
        }
    }
}

/// What answering one request needs besides the request.
#[derive(Debug)]
struct Exchange<'a> {
    config: &'a AnthropicConfig,
    /// A number unique within this mock, for `msg_…` and `toolu_…` ids.
    serial: u64,
    request_id: String,
    stream: StreamPlan,
    stream_error: Option<StreamError>,
}

fn route(
    parts: &Parts,
    body: &Bytes,
    exchange: &Exchange<'_>,
) -> Result<Response<MockBody>, ApiError> {
    if parts.uri.path() != "/v1/messages" {
        return Err(ApiError::not_found("Not Found"));
    }
    if parts.method != Method::POST {
        let message = format!("Method {} is not allowed for /v1/messages.", parts.method);
        return Err(ApiError::invalid(message).with_status(StatusCode::METHOD_NOT_ALLOWED));
    }
    check_key(&parts.headers, exchange.config)?;
    check_version(&parts.headers)?;

    let body = json_object(&parts.headers, body)?;
    let request = MessagesRequest::parse(&body)?;
    if !exchange
        .config
        .models
        .iter()
        .any(|model| model == request.model)
    {
        return Err(ApiError::not_found(format!("model: {}", request.model)));
    }
    Ok(respond(&request, exchange))
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

fn respond(request: &MessagesRequest<'_>, exchange: &Exchange<'_>) -> Response<MockBody> {
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
    if let Some(error) = &exchange.stream_error {
        events.truncate(error.after_events);
        let data = error_body(&error.kind, &error.message, &exchange.request_id);
        events.push(reply::event("error", &data));
    }
    body::events_body(events, &exchange.stream)
}
