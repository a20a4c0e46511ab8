//! One client connection: served by hyper, and closed when it has been idle too long or when
//! the server stops.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::admission::Admission;
use crate::Gateway;
use crate::telemetry::metrics;

/// A connection as hyper serves it.
pub(super) type Served = auto::Connection<
    'static,
    TokioIo<TcpStream>,
    TowerToHyperService<Admission<Gateway>>,
    TokioExecutor,
>;

/// Serves `stream` through `service`, detecting HTTP/1.1 or HTTP/2.
pub(super) fn serve(
    builder: &auto::Builder<TokioExecutor>,
    stream: TcpStream,
    service: Admission<Gateway>,
) -> Served {
    let service = TowerToHyperService::new(service);
    builder
        .serve_connection(TokioIo::new(stream), service)
        .into_owned()
}

/// A served connection and what may close it early.
pub(super) struct Watched {
    pub(super) connection: Served,
    pub(super) activity: Activity,
    pub(super) idle_timeout: Duration,
    /// Turns true when the server stops; the server waits until every receiver is dropped.
    pub(super) closing: watch::Receiver<bool>,
}

impl Watched {
    /// Runs the connection to its end. Closing it is graceful either way: an HTTP/2 client is
    /// sent GOAWAY, and a request in flight is finished first.
    pub(super) async fn run(self, peer: SocketAddr) {
        let Watched {
            connection,
            activity,
            idle_timeout,
            mut closing,
        } = self;
        metrics::connections(1.0);
        tokio::pin!(connection);

        let mut shutting_down = false;
        let result = loop {
            tokio::select! {
                result = connection.as_mut() => break result,
                () = activity.idle_for(idle_timeout), if !shutting_down => {
                    tracing::debug!(%peer, "closing an idle connection");
                    connection.as_mut().graceful_shutdown();
                    shutting_down = true;
                }
                _ = closing.wait_for(|closing| *closing), if !shutting_down => {
                    connection.as_mut().graceful_shutdown();
                    shutting_down = true;
                }
            }
        };

        if let Err(error) = result {
            tracing::debug!(%error, %peer, "connection ended with an error");
        }
        metrics::connections(-1.0);
    }
}

/// The requests of one connection, shared by its service and its idle timer. Counting costs a
/// request two atomic operations and no wake-up: the timer looks only when it would fire.
#[derive(Debug, Clone)]
pub(super) struct Activity(Arc<Counts>);

#[derive(Debug)]
struct Counts {
    opened: Instant,
    active: AtomicUsize,
    /// When the last request ended, in milliseconds since `opened`.
    last_end_ms: AtomicU64,
}

impl Default for Activity {
    fn default() -> Self {
        Activity(Arc::new(Counts {
            opened: Instant::now(),
            active: AtomicUsize::new(0),
            last_end_ms: AtomicU64::new(0),
        }))
    }
}

impl Activity {
    /// Counts a request in flight until the returned guard is dropped, with its answer.
    pub(super) fn begin(&self) -> InFlight {
        self.0.active.fetch_add(1, Ordering::AcqRel);
        InFlight(self.clone())
    }

    /// Completes once no request has been in flight for `timeout`.
    async fn idle_for(&self, timeout: Duration) {
        let mut deadline = self.0.opened + timeout;
        loop {
            tokio::time::sleep_until(deadline).await;
            let active = self.0.active.load(Ordering::Acquire);
            let last_end = self.0.last_end_ms.load(Ordering::Acquire);
            let idle_since = self.0.opened + Duration::from_millis(last_end);
            if active > 0 {
                deadline = Instant::now() + timeout;
            } else if idle_since + timeout <= Instant::now() {
                return;
            } else {
                deadline = idle_since + timeout;
            }
        }
    }
}

/// A request in flight on a connection.
#[derive(Debug)]
pub(super) struct InFlight(Activity);

impl Drop for InFlight {
    fn drop(&mut self) {
        let counts = &self.0.0;
        let elapsed = u64::try_from(counts.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        // Stored before the count drops, so a timer that sees no request sees this end too.
        counts.last_end_ms.fetch_max(elapsed, Ordering::AcqRel);
        counts.active.fetch_sub(1, Ordering::AcqRel);
    }
}
