//! The accept loop, and each request's path: record, check the signature, apply the fault in
//! force, route to the operation.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::{HeaderValue, Method, Request, Response};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tracing::debug;

use super::error::AwsError;
use super::sigv4::{self, Accepted};
use super::{BedrockFault, BedrockMockConfig, converse, invoke, percent_decode};
use crate::body::{self, MockBody};
use crate::fault;
use crate::record::RecordedRequest;

/// Bedrock refuses larger request bodies; tests never need more.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// What the handle and every connection share.
#[derive(Debug)]
pub(super) struct State {
    config: BedrockMockConfig,
    fault: Mutex<Option<BedrockFault>>,
    requests: Mutex<Vec<RecordedRequest>>,
    next_id: AtomicU64,
    open_connections: Arc<AtomicUsize>,
}

impl State {
    pub(super) fn new(config: BedrockMockConfig) -> Self {
        State {
            config,
            fault: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            open_connections: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub(super) fn open_connections(&self) -> usize {
        self.open_connections.load(Ordering::SeqCst)
    }

    pub(super) fn set_fault(&self, fault: Option<BedrockFault>) {
        *lock(&self.fault) = fault;
    }

    pub(super) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }
}

/// Each critical section is one assignment, push or clone, so data behind a poisoned lock is
/// whole, and a test that panicked elsewhere must not take the emulator down with it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What an operation needs besides the request.
#[derive(Debug)]
pub(super) struct Exchange<'a> {
    pub(super) model_id: &'a str,
    /// Unique within this emulator, for `tooluse_…` ids.
    pub(super) serial: u64,
    pub(super) frame_delay: Duration,
    pub(super) fault: Option<BedrockFault>,
}

/// The error that makes hyper close the connection without a response.
#[derive(Debug, thiserror::Error)]
#[error("connection reset by the ResetBeforeResponse fault")]
struct InjectedReset;

/// Serves the Bedrock API until `stop` fires.
pub(super) async fn serve(listener: TcpListener, state: Arc<State>, stop: oneshot::Receiver<()>) {
    let open = Arc::clone(&state.open_connections);
    let service = move |request| handle(Arc::clone(&state), request);
    accept(listener, stop, service, open).await;
}

/// Accepts connections, each served by `service`, until `stop` fires; then closes every
/// connection still open. `open` counts the connections open at any time.
pub(super) async fn accept<S, F, E>(
    listener: TcpListener,
    mut stop: oneshot::Receiver<()>,
    service: S,
    open: Arc<AtomicUsize>,
) where
    S: Fn(Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Result<Response<MockBody>, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, service.clone(), Arc::clone(&open)));
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

async fn serve_connection<S, F, E>(stream: TcpStream, service: S, open: Arc<AtomicUsize>)
where
    S: Fn(Request<Incoming>) -> F + Send + 'static,
    F: Future<Output = Result<Response<MockBody>, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    // Frames are small writes that must leave at once.
    if let Err(error) = stream.set_nodelay(true) {
        debug!(%error, "could not disable Nagle's algorithm");
    }
    open.fetch_add(1, Ordering::SeqCst);
    let service = service_fn(service);
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    if let Err(error) = connection.await {
        debug!(%error, "connection closed with an error");
    }
    open.fetch_sub(1, Ordering::SeqCst);
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<MockBody>, InjectedReset> {
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map(|collected| collected.to_bytes());
    let body = body.unwrap_or_default();
    lock(&state.requests).push(RecordedRequest::new(&parts, &body));
    debug!(method = %parts.method, path = %parts.uri, "bedrock request received");

    if !state.config.latency.is_zero() {
        tokio::time::sleep(state.config.latency).await;
    }
    let serial = state.next_id.fetch_add(1, Ordering::Relaxed);
    let request_id = format!("00000000-0000-4000-8000-{serial:012x}");

    let fault = lock(&state.fault).clone();
    let response = match answer(&state.config, &parts, &body, fault, serial).await {
        Ok(response) => response,
        Err(Refusal::Reset) => return Err(InjectedReset),
        Err(Refusal::Error(error)) => error.into_response(&request_id),
    };
    Ok(with_request_id(response, &request_id))
}

/// Why a request got no ordinary answer.
enum Refusal {
    Error(AwsError),
    Reset,
}

impl From<AwsError> for Refusal {
    fn from(error: AwsError) -> Self {
        Refusal::Error(error)
    }
}

/// Checks run in AWS's order: route, signature, then the fault, then the operation.
async fn answer(
    config: &BedrockMockConfig,
    parts: &Parts,
    body: &Bytes,
    fault: Option<BedrockFault>,
    serial: u64,
) -> Result<Response<MockBody>, Refusal> {
    let (model_id, operation) = route(parts)?;
    let accepted = Accepted {
        region: &config.region,
        keys: &config.keys,
        api_keys: &config.api_keys,
        echo_credentials: config.echo_credentials,
    };
    sigv4::verify(parts, body, accepted, SystemTime::now())?;

    match &fault {
        Some(BedrockFault::Exception { name, message }) => {
            return Err(AwsError::new(name, message.clone()).into());
        }
        Some(BedrockFault::ResetBeforeResponse) => return Err(Refusal::Reset),
        Some(BedrockFault::Stall) => return std::future::pending().await,
        Some(BedrockFault::NotJson { status }) => return Ok(fault::html_page(*status)),
        Some(BedrockFault::Oversized { bytes }) => {
            return Ok(body::oversized(*bytes, config.stream_frame_delay));
        }
        _ => {}
    }

    check_model(config, &model_id, operation)?;
    let body = json_body(parts, body)?;
    let exchange = Exchange {
        model_id: &model_id,
        serial,
        frame_delay: config.stream_frame_delay,
        fault,
    };
    let response = match operation {
        Operation::Converse => converse::respond(&body, &exchange, false),
        Operation::ConverseStream => converse::respond(&body, &exchange, true),
        Operation::InvokeModel => invoke::respond(&body, &exchange),
    };
    Ok(response?)
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
pub(super) fn is_embedding_model(model_id: &str) -> bool {
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

fn with_request_id(mut response: Response<MockBody>, request_id: &str) -> Response<MockBody> {
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    response
}
