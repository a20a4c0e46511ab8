//! [`OpenAiMock`], the handle a test holds on a running emulator.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{Fault, MockConfig};
use crate::record::RecordedRequest;
use crate::server::{self, State};

/// A running emulator of OpenAI's API on a loopback socket.
///
/// Dropping the handle stops the server task and every open connection; [`shutdown`] does the
/// same and waits until it is done.
///
/// [`shutdown`]: OpenAiMock::shutdown
#[derive(Debug)]
pub struct OpenAiMock {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl OpenAiMock {
    /// Binds `config.addr` (default `127.0.0.1:0`) and starts serving on the current runtime.
    pub async fn start(config: MockConfig) -> io::Result<Self> {
        let addr = config
            .addr
            .unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;

        let state = Arc::new(State::new(config));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(server::serve(listener, Arc::clone(&state), stopped));

        Ok(Self {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL an OpenAI client takes, such as `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Injects `fault` into every request received from now on; `None` restores normal service.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.state.set_fault(fault);
    }

    /// Delays every later response head by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        self.state.set_latency(latency);
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// How many client connections are open now, so a test can see a caller hang up.
    pub fn open_connections(&self) -> usize {
        self.state.open_connections()
    }

    /// Stops accepting, closes every open connection (stalled ones included) and waits for the
    /// server task to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // The server only ends early if it panicked, and then there is nothing to stop.
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            tracing::debug!(%error, "mock server task ended abnormally");
        }
    }
}

impl Drop for OpenAiMock {
    fn drop(&mut self) {
        // Aborting drops the listener and the set of connection tasks, which aborts them too.
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
