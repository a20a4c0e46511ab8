//! The accept loop, one hyper HTTP/1.1 connection per socket, and request routing.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::request::Parts;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tracing::debug;

use crate::body::{MockBody, StreamPlan};
use crate::config::{Fault, MockConfig};
use crate::error::ApiError;
use crate::fault::{self, Action};
use crate::record::RecordedRequest;
use crate::{auth, chat, completions, embeddings, models, validate};

/// The largest body read; the real API refuses large payloads too, and tests never need more.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// What the handle and every connection share.
#[derive(Debug)]
pub(crate) struct State {
    config: MockConfig,
    fault: Mutex<Option<Fault>>,
    latency: Mutex<Duration>,
    requests: Mutex<Vec<RecordedRequest>>,
    next_id: AtomicU64,
    open_connections: AtomicUsize,
}

impl State {
    pub(crate) fn new(config: MockConfig) -> Self {
        Self {
            latency: Mutex::new(config.latency),
            config,
            fault: Mutex::new(None),
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

    pub(crate) fn set_latency(&self, latency: Duration) {
        *lock(&self.latency) = latency;
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }
}

/// Every critical section is a single assignment, push or clone, so data behind a poisoned
/// lock is still whole and a test that panicked elsewhere must not take the mock down with it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What an endpoint needs besides the request: the config, ids and how to stream.
#[derive(Debug)]
pub(crate) struct Exchange<'a> {
    pub(crate) config: &'a MockConfig,
    /// A number unique within this mock, for `chatcmpl-…`, `cmpl-…` and `call_…` ids.
    pub(crate) serial: u64,
    /// Unix seconds when the request was handled.
    pub(crate) created: u64,
    pub(crate) stream: StreamPlan,
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

    let action = fault::action(lock(&state.fault).clone());
    let latency = *lock(&state.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let cut_after = match action {
        Action::Answer(response) => return Ok(response),
        Action::Reset => return Err(InjectedReset),
        Action::Stall => return std::future::pending().await,
        Action::Serve { cut_after } => cut_after,
    };

    let exchange = Exchange {
        config: &state.config,
        serial: state.next_id.fetch_add(1, Ordering::Relaxed),
        created: unix_now(),
        stream: StreamPlan {
            chunk_delay: state.config.stream_chunk_delay,
            cut_after,
        },
    };
    let response = body.and_then(|body| route(&parts, &body, &exchange));
    Ok(response.unwrap_or_else(ApiError::into_response))
}

async fn read_body(body: Incoming) -> Result<Bytes, ApiError> {
    let error = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => return Ok(collected.to_bytes()),
        Err(error) => error,
    };

    debug!(%error, "could not read the request body");
    if error.is::<LengthLimitError>() {
        let message = format!("The request body exceeds {MAX_BODY_BYTES} bytes.");
        Err(ApiError::invalid_request(message).with_status(StatusCode::PAYLOAD_TOO_LARGE))
    } else {
        // The client broke off mid-body; it will most likely never read this answer.
        Err(ApiError::invalid_request(
            "The request body could not be read.",
        ))
    }
}

fn unix_now() -> u64 {
    // A clock before 1970 is a broken machine; 0 still yields a well-formed response.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The endpoints the mock serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint<'a> {
    ChatCompletions,
    Completions,
    Embeddings,
    Models,
    Model(&'a str),
}

impl<'a> Endpoint<'a> {
    fn parse(path: &'a str) -> Option<Self> {
        match path {
            "/v1/chat/completions" => Some(Self::ChatCompletions),
            "/v1/completions" => Some(Self::Completions),
            "/v1/embeddings" => Some(Self::Embeddings),
            "/v1/models" => Some(Self::Models),
            _ => path
                .strip_prefix("/v1/models/")
                .filter(|id| !id.is_empty())
                .map(Self::Model),
        }
    }

    fn method(self) -> Method {
        match self {
            Self::Models | Self::Model(_) => Method::GET,
            Self::ChatCompletions | Self::Completions | Self::Embeddings => Method::POST,
        }
    }
}

/// Checks run in the real API's order: route, method, key, body, then the endpoint's own.
fn route(
    parts: &Parts,
    body: &Bytes,
    exchange: &Exchange<'_>,
) -> Result<Response<MockBody>, ApiError> {
    let path = parts.uri.path();
    let endpoint =
        Endpoint::parse(path).ok_or_else(|| ApiError::unknown_url(&parts.method, path))?;
    if parts.method != endpoint.method() {
        return Err(ApiError::method_not_allowed(&parts.method, path));
    }
    auth::check(&parts.headers, exchange.config.api_key.as_deref())?;

    match endpoint {
        Endpoint::Models => Ok(models::list(exchange.config)),
        Endpoint::Model(id) => models::retrieve(exchange.config, id),
        Endpoint::ChatCompletions => {
            chat::respond(&validate::json_object(&parts.headers, body)?, exchange)
        }
        Endpoint::Completions => {
            completions::respond(&validate::json_object(&parts.headers, body)?, exchange)
        }
        Endpoint::Embeddings => {
            embeddings::respond(&validate::json_object(&parts.headers, body)?, exchange)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_endpoints() {
        assert_eq!(
            Endpoint::parse("/v1/chat/completions"),
            Some(Endpoint::ChatCompletions)
        );
        assert_eq!(
            Endpoint::parse("/v1/models/gpt-4o"),
            Some(Endpoint::Model("gpt-4o"))
        );
        assert_eq!(Endpoint::parse("/v1/models/"), None);
        assert_eq!(Endpoint::parse("/v1/chat/completions/"), None);
        assert_eq!(Endpoint::parse("/chat/completions"), None);
    }
}
