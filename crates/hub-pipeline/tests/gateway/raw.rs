//! A client over a bare TCP socket, for what a well-behaved HTTP client cannot do: send a
//! head a byte at a time, lie about a body's length, stop reading, or just hold a connection.

use std::net::SocketAddr;
use std::time::Duration;

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// Long enough for a loaded machine; only there so that a broken limit fails instead of hanging.
pub(crate) const DEADLINE: Duration = Duration::from_secs(15);

pub(crate) async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.expect("the gateway accepts")
}

pub(crate) async fn send(stream: &mut TcpStream, bytes: impl AsRef<[u8]>) {
    stream
        .write_all(bytes.as_ref())
        .await
        .expect("the gateway reads");
}

/// A POST head for `path` with a JSON `content-length`, ready for its body.
pub(crate) fn post_head(path: &str, content_length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: hub\r\ncontent-type: application/json\r\n\
         content-length: {content_length}\r\n\r\n"
    )
}

/// Everything the gateway sends until it closes the connection; a reset counts as a close.
pub(crate) async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let read = async {
        let mut buffer = [0; 8192];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => received.extend_from_slice(&buffer[..read]),
            }
        }
    };
    tokio::time::timeout(DEADLINE, read)
        .await
        .expect("the gateway closes the connection before the deadline");
    received
}

/// What the gateway sends until the received bytes end with `end`, such as the last chunk of
/// a chunked body on a connection kept alive.
pub(crate) async fn read_until(stream: &mut TcpStream, end: &[u8]) -> Vec<u8> {
    let mut received = Vec::new();
    let read = async {
        let mut buffer = [0; 65536];
        while !received.ends_with(end) {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => received.extend_from_slice(&buffer[..read]),
            }
        }
    };
    tokio::time::timeout(DEADLINE, read)
        .await
        .expect("the gateway sends the end before the deadline");
    received
}

/// An HTTP/1.1 response read whole from its bytes.
#[derive(Debug)]
pub(crate) struct RawReply {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl RawReply {
    pub(crate) fn parse(bytes: &[u8]) -> RawReply {
        let text = String::from_utf8_lossy(bytes);
        let (head, _) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|status| status.parse().ok())
            .unwrap_or_else(|| panic!("no status in {head:?}"));
        RawReply {
            status,
            head: head.to_ascii_lowercase(),
            body: bytes[head.len() + 4..].to_vec(),
        }
    }

    /// OpenAI's error object in the body.
    pub(crate) fn error(&self) -> Value {
        let body: Value = serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.body));
        body["error"].clone()
    }
}

/// `GET /health` on a fresh connection: its status, or `None` when the connection was closed
/// before an answer.
pub(crate) async fn health(addr: SocketAddr) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let request = "GET /health HTTP/1.1\r\nhost: hub\r\nconnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.ok()?;
    let bytes = read_to_close(&mut stream).await;
    (!bytes.is_empty()).then(|| RawReply::parse(&bytes).status)
}

/// A request body for HTTP/2: whole, or streamed without a declared length.
pub(crate) type H2Body = BoxBody<Bytes, Infallible>;

/// An HTTP/2 connection with prior knowledge, and the task that drives it: the task ends
/// when the gateway closes the connection.
pub(crate) async fn http2(
    addr: SocketAddr,
) -> (http2::SendRequest<H2Body>, JoinHandle<hyper::Result<()>>) {
    let stream = connect(addr).await;
    let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .expect("an HTTP/2 handshake");
    (sender, tokio::spawn(connection))
}

/// Sends `request` over HTTP/2 and reads the answer whole: status and body.
pub(crate) async fn http2_call(
    sender: &mut http2::SendRequest<H2Body>,
    request: http::Request<H2Body>,
) -> hyper::Result<(http::StatusCode, Bytes)> {
    let call = async {
        let response = sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    };
    tokio::time::timeout(DEADLINE, call)
        .await
        .expect("the gateway answers over HTTP/2 before the deadline")
}
