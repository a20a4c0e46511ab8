//! What every emulator shares: the accept loop, one hyper HTTP/1.1 connection per socket,
//! recording, latency and faults. Each emulated API answers through the [`Api`] trait, and each
//! public mock handle wraps a [`Server`] of its API.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::request::Parts;
use http::{Request, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tracing::debug;

use crate::body::{MockBody, StreamPlan};
use crate::fault::{Action, Misbehaviour};
use crate::record::RecordedRequest;

/// The largest body read; the real APIs refuse large payloads too, and tests never need more.
pub(crate) const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// One emulated API: how it answers a request the server has read and recorded.
pub(crate) trait Api: Send + Sync + fmt::Debug + 'static {
    /// The faults a test can inject: most APIs take the shared [`Fault`](crate::Fault), one
    /// whose failures take another shape brings its own.
    type Fault: Misbehaviour;

    /// The answer to a request under no fault (or a fault that lets it through).
    fn answer(
        &self,
        parts: &Parts,
        body: Result<Bytes, BodyError>,
        exchange: &Exchange,
    ) -> Response<MockBody>;

    /// Whether faults pass this request by, as they do for an endpoint that stands in for
    /// another server (an OAuth2 token endpoint beside the API it grants access to), or for a
    /// request the API's front end refuses before anything behind it could fail.
    fn ignores_faults(&self, parts: &Parts, body: &Result<Bytes, BodyError>) -> bool {
        let _ = (parts, body);
        false
    }
}

/// Why a request body could not be read; each API words the refusal its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Longer than [`MAX_BODY_BYTES`].
    TooLarge,
    /// The client broke off mid-body.
    Unreadable,
}

/// How a server listens and paces its answers; by default on a port the OS picks, at once.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Pacing {
    pub(crate) addr: Option<SocketAddr>,
    pub(crate) latency: Duration,
    pub(crate) stream_chunk_delay: Duration,
}

/// The methods every public mock handle offers, each passed to the [`Server`] the handle
/// holds in its `server` field; `$fault` is the type of the faults its API takes.
macro_rules! handle_methods {
    ($fault:ty) => {
        /// The address the server listens on.
        pub fn addr(&self) -> std::net::SocketAddr {
            self.server.addr()
        }

        /// Injects `fault` into every request received from now on; `None` restores normal
        /// service.
        pub fn set_fault(&self, fault: Option<$fault>) {
            self.server.set_fault(fault);
        }

        /// Delays every later response head by `latency`.
        pub fn set_latency(&self, latency: std::time::Duration) {
            self.server.set_latency(latency);
        }

        /// Every request received so far, in arrival order.
        pub fn requests(&self) -> Vec<crate::RecordedRequest> {
            self.server.requests()
        }

        /// How many client connections are open now, so a test can see a caller hang up.
        pub fn open_connections(&self) -> usize {
            self.server.open_connections()
        }

        /// Stops accepting, closes every open connection (stalled ones included) and waits for
        /// the server task to finish.
        pub async fn shutdown(self) {
            self.server.shutdown().await;
        }
    };
}

pub(crate) use handle_methods;

/// What the handle and every connection share.
#[derive(Debug)]
struct State<A: Api> {
    api: A,
    stream_chunk_delay: Duration,
    fault: Mutex<Option<A::Fault>>,
    latency: Mutex<Duration>,
    requests: Mutex<Vec<RecordedRequest>>,
    next_id: AtomicU64,
    open_connections: AtomicUsize,
}

/// A running emulator on a loopback socket, whichever API it speaks.
///
/// Dropping it stops the server task and every open connection; [`shutdown`] does the same and
/// waits until it is done.
///
/// [`shutdown`]: Server::shutdown
#[derive(Debug)]
pub(crate) struct Server<A: Api> {
    addr: SocketAddr,
    state: Arc<State<A>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl<A: Api> Server<A> {
    /// Binds `pacing.addr` (default `127.0.0.1:0`) and starts serving `api` on the current
    /// runtime.
    pub(crate) async fn start(api: A, pacing: Pacing) -> io::Result<Self> {
        let addr = pacing
            .addr
            .unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;

        let state = Arc::new(State {
            api,
            stream_chunk_delay: pacing.stream_chunk_delay,
            fault: Mutex::new(None),
            latency: Mutex::new(pacing.latency),
            requests: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            open_connections: AtomicUsize::new(0),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, Arc::clone(&state), stopped));

        Ok(Self {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API served, for settings of its own that a test changes while it runs.
    pub(crate) fn api(&self) -> &A {
        &self.state.api
    }

    pub(crate) fn set_fault(&self, fault: Option<A::Fault>) {
        *lock(&self.state.fault) = fault;
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        *lock(&self.state.latency) = latency;
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    pub(crate) fn open_connections(&self) -> usize {
        self.state.open_connections.load(Ordering::SeqCst)
    }

    /// Stops accepting, closes every open connection (stalled ones included) and waits for the
    /// server task to finish.
    pub(crate) async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // The server only ends early if it panicked, and then there is nothing to stop.
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            debug!(%error, "mock server task ended abnormally");
        }
    }
}

impl<A: Api> Drop for Server<A> {
    fn drop(&mut self) {
        // Aborting drops the listener and the set of connection tasks, which aborts them too.
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Every critical section is a single assignment, push or clone, so data behind a poisoned
/// lock is still whole and a test that panicked elsewhere must not take the mock down with it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What an endpoint needs besides the request and its API's config: ids and how to stream.
#[derive(Debug)]
pub(crate) struct Exchange {
    /// A number unique within this mock, for ids such as `chatcmpl-…` and request ids.
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
async fn serve<A: Api>(
    listener: TcpListener,
    state: Arc<State<A>>,
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

async fn serve_connection<A: Api>(stream: TcpStream, state: Arc<State<A>>) {
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

async fn handle<A: Api>(
    state: Arc<State<A>>,
    request: Request<Incoming>,
) -> Result<Response<MockBody>, InjectedReset> {
    let (parts, body) = request.into_parts();
    let body = read_body(body).await;
    let recorded = RecordedRequest::new(&parts, body.as_ref().unwrap_or(&Bytes::new()));
    lock(&state.requests).push(recorded);
    debug!(method = %parts.method, path = %parts.uri, "request received");

    let fault = lock(&state.fault).clone();
    let latency = *lock(&state.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let mut exchange = Exchange {
        serial: state.next_id.fetch_add(1, Ordering::Relaxed),
        created: unix_now(),
        stream: StreamPlan {
            chunk_delay: state.stream_chunk_delay,
            fault: None,
        },
    };
    let fault = fault.filter(|_| !state.api.ignores_faults(&parts, &body));
    match fault.map(|fault| fault.action(&exchange)) {
        None => {}
        Some(Action::Answer(response)) => return Ok(response),
        Some(Action::Reset) => return Err(InjectedReset),
        Some(Action::Stall) => return std::future::pending().await,
        Some(Action::Stream(stream_fault)) => exchange.stream.fault = Some(stream_fault),
    }
    Ok(state.api.answer(&parts, body, &exchange))
}

async fn read_body(body: Incoming) -> Result<Bytes, BodyError> {
    let error = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => return Ok(collected.to_bytes()),
        Err(error) => error,
    };

    debug!(%error, "could not read the request body");
    if error.is::<LengthLimitError>() {
        Err(BodyError::TooLarge)
    } else {
        Err(BodyError::Unreadable)
    }
}

pub(crate) fn unix_now() -> u64 {
    // A clock before 1970 is a broken machine; 0 still yields a well-formed response.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
