//! Serving the gateway on a listener within the connection limits, and stopping without
//! dropping a request.
//!
//! Every limit here bounds what a client can hold without sending useful work: connections
//! beyond `max_connections` are closed as soon as they are accepted, requests beyond
//! `max_concurrent_requests` are answered 503 at once, an HTTP/1.1 request head must arrive
//! within `header_read_timeout_ms`, and a connection with nothing in flight (an HTTP/2 head
//! still arriving included) closes after `idle_timeout_ms`. Nothing waits in a queue of the
//! gateway's own.

mod admission;
mod connection;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use crate::Gateway;
use crate::limits::ConnectionLimits;
use crate::telemetry::metrics;

use admission::Admission;
use connection::Activity;

/// hyper parses up to this many headers on the stack; setting any other number moves them to
/// the heap for every request, so the builder is told only when the limit differs.
const HYPER_DEFAULT_MAX_HEADERS: usize = 100;
/// How often an HTTP/2 connection is pinged, and how long the answer may take before the
/// connection counts as dead: a peer that vanished without a FIN is found within a minute.
const HTTP2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);
const HTTP2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves `gateway` on `listener` over HTTP/1.1 and HTTP/2 until `shutdown` completes, then
/// stops accepting and waits for in-flight requests and streams to finish.
///
/// The connection limits are those of the configuration `gateway` serves when this starts;
/// a later reload does not change them.
pub async fn serve(listener: TcpListener, gateway: Gateway, shutdown: impl Future<Output = ()>) {
    let limits = gateway.connection_limits();
    let (closing, closing_seen) = watch::channel(false);
    let server = Server {
        builder: builder(&limits),
        open: Arc::new(Semaphore::new(limits.max_connections)),
        in_flight: Arc::new(Semaphore::new(limits.max_concurrent_requests)),
        idle_timeout: limits.idle_timeout,
        closing: closing_seen,
        gateway,
    };
    tokio::pin!(shutdown);

    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => server.start(stream, peer),
                Err(error) => {
                    // Out of file descriptors, most likely: pause rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }

    drop(listener);
    drop(server);
    tracing::info!("stopped accepting connections; waiting for in-flight requests");
    // No receiver listens any more when it fails, and then nothing is left to wait for.
    let _ = closing.send(true);
    closing.closed().await;
}

/// What every connection of one listener shares.
struct Server {
    builder: auto::Builder<TokioExecutor>,
    /// One permit per open connection.
    open: Arc<Semaphore>,
    /// One permit per request in flight, probes excepted.
    in_flight: Arc<Semaphore>,
    idle_timeout: Duration,
    closing: watch::Receiver<bool>,
    gateway: Gateway,
}

impl Server {
    /// Serves a new connection on a task of its own, or closes it at the connection limit.
    fn start(&self, stream: TcpStream, peer: SocketAddr) {
        // Closed at once when the limit is reached: a client learns it now, and retries
        // elsewhere or later, rather than waiting in a queue.
        let Ok(slot) = Arc::clone(&self.open).try_acquire_owned() else {
            metrics::refused("max_connections");
            tracing::debug!(%peer, "connection closed: max_connections reached");
            return;
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, %peer, "could not disable Nagle's algorithm");
        }

        let activity = Activity::default();
        let service = Admission::new(self.gateway.clone(), Arc::clone(&self.in_flight), &activity);
        let connection = connection::Watched {
            connection: connection::serve(&self.builder, stream, service),
            activity,
            idle_timeout: self.idle_timeout,
            closing: self.closing.clone(),
        };
        tokio::spawn(async move {
            connection.run(peer).await;
            drop(slot);
        });
    }
}

/// hyper's HTTP/1.1 and HTTP/2 settings from the limits.
fn builder(limits: &ConnectionLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    let mut http1 = builder.http1();
    // The read buffer holds the request head whole before it is parsed, so its bound is the
    // head's; it also bounds what is buffered for a client that reads its answer slowly.
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes);
    if limits.max_headers != HYPER_DEFAULT_MAX_HEADERS {
        http1.max_headers(limits.max_headers);
    }

    let max_header_list = u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(max_header_list)
        .max_concurrent_streams(limits.http2_max_concurrent_streams)
        .keep_alive_interval(HTTP2_KEEP_ALIVE_INTERVAL)
        .keep_alive_timeout(HTTP2_KEEP_ALIVE_TIMEOUT);
    builder
}
