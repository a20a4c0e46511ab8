//! One client connection: served by hyper, and closed when it has been idle too long or when
//! the server stops.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpStream;
use tokio::sync::watch;

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

/// What a connection is doing, for its idle timer: requests in flight, and how many ever
/// started, so that a request that came and went between two looks still counts.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    active: usize,
    started: u64,
}

/// The requests of one connection, shared by its service and its idle timer.
#[derive(Debug, Clone)]
pub(super) struct Activity(Arc<watch::Sender<Counts>>);

impl Default for Activity {
    fn default() -> Self {
        Activity(Arc::new(watch::Sender::new(Counts::default())))
    }
}

impl Activity {
    /// Counts a request in flight until the returned guard is dropped, with its answer.
    pub(super) fn begin(&self) -> InFlight {
        self.0.send_modify(|counts| {
            counts.active += 1;
            counts.started += 1;
        });
        InFlight(self.clone())
    }

    /// Completes once no request has been in flight for `timeout`.
    async fn idle_for(&self, timeout: Duration) {
        let mut counts = self.0.subscribe();
        loop {
            // The sender lives in `self`, so neither wait fails.
            let Ok(started) = counts
                .wait_for(|counts| counts.active == 0)
                .await
                .map(|counts| counts.started)
            else {
                return;
            };
            tokio::select! {
                () = tokio::time::sleep(timeout) => return,
                _ = counts.wait_for(|counts| counts.active > 0 || counts.started != started) => {}
            }
        }
    }
}

/// A request in flight on a connection.
#[derive(Debug)]
pub(super) struct InFlight(Activity);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.0.send_modify(|counts| counts.active -= 1);
    }
}
