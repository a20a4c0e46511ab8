//! [`OpenAiMock`], the handle a test holds on a running OpenAI emulator.

use std::io;

use crate::config::MockConfig;
use crate::openai::OpenAiApi;
use crate::server::{Pacing, Server};

/// A running emulator of OpenAI's API on a loopback socket.
///
/// Dropping the handle stops the server task and every open connection; [`shutdown`] does the
/// same and waits until it is done.
///
/// [`shutdown`]: OpenAiMock::shutdown
#[derive(Debug)]
pub struct OpenAiMock {
    server: Server<OpenAiApi>,
}

impl OpenAiMock {
    /// Binds `config.addr` (default `127.0.0.1:0`) and starts serving on the current runtime.
    pub async fn start(config: MockConfig) -> io::Result<Self> {
        let pacing = Pacing {
            addr: config.addr,
            latency: config.latency,
            stream_chunk_delay: config.stream_chunk_delay,
        };
        let server = Server::start(OpenAiApi { config }, pacing).await?;
        Ok(Self { server })
    }

    /// The base URL an OpenAI client takes, such as `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr())
    }

    crate::server::handle_methods!(crate::Fault);
}
