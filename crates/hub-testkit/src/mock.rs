//! [`OpenAiMock`], the handle a test holds on a running OpenAI emulator.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::config::{Fault, MockConfig};
use crate::openai::OpenAiApi;
use crate::record::RecordedRequest;
use crate::server::{Pacing, Server};

/// A running emulator of OpenAI's API on a loopback socket.
///
/// Dropping the handle stops the server task and every open connection; [`shutdown`] does the
/// same and waits until it is done.
///
/// [`shutdown`]: OpenAiMock::shutdown
#[derive(Debug)]
pub struct OpenAiMock {
    server: Server,
}

impl OpenAiMock {
    /// Binds `config.addr` (default `127.0.0.1:0`) and starts serving on the current runtime.
    pub async fn start(config: MockConfig) -> io::Result<Self> {
        let pacing = Pacing {
            addr: config.addr,
            latency: config.latency,
            stream_chunk_delay: config.stream_chunk_delay,
        };
        let server = Server::start(Box::new(OpenAiApi { config }), pacing).await?;
        Ok(Self { server })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The base URL an OpenAI client takes, such as `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr())
    }

    /// Injects `fault` into every request received from now on; `None` restores normal service.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.server.set_fault(fault);
    }

    /// Delays every later response head by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        self.server.set_latency(latency);
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }

    /// Stops accepting, closes every open connection (stalled ones included) and waits for the
    /// server task to finish.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
