//! A minimal HTTP/1.1 client over hyper's connection API, and raw-socket helpers.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hub_testkit::{MockConfig, OpenAiMock};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub(crate) const KEY: &str = "sk-test-key";

/// A mock with the default configuration.
pub(crate) async fn mock() -> OpenAiMock {
    OpenAiMock::start(MockConfig::default())
        .await
        .expect("the mock starts on loopback")
}

/// A complete response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    /// The `error` object of an OpenAI error body.
    pub(crate) fn error(&self) -> Value {
        self.json()["error"].clone()
    }

    /// The `data:` payloads of an event stream, in order.
    pub(crate) fn events(&self) -> Vec<String> {
        events(&self.body)
    }
}

/// The payloads of `data:` lines in an SSE body, checking each event is one line and a blank
/// line as OpenAI frames them.
pub(crate) fn events(body: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(body).expect("event streams are UTF-8");
    text.split_terminator("\n\n")
        .map(|event| {
            assert!(!event.contains('\n'), "one line per event: {event:?}");
            event
                .strip_prefix("data: ")
                .expect("every event is a data line")
                .to_owned()
        })
        .collect()
}

/// Parses every event but the final `[DONE]`, which must be there.
pub(crate) fn chunks(reply: &Reply) -> Vec<Value> {
    let mut events = reply.events();
    assert_eq!(
        events.pop().as_deref(),
        Some("[DONE]"),
        "the stream ends with [DONE]"
    );
    events
        .iter()
        .map(|event| serde_json::from_str(event).expect("chunks are JSON"))
        .collect()
}

/// Sends one request on a fresh connection and returns the head and the unread body.
pub(crate) async fn open(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> http::Response<Incoming> {
    let stream = TcpStream::connect(addr).await.expect("connect to the mock");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);

    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, addr.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(body)).expect("a valid request");
    sender
        .send_request(request)
        .await
        .expect("the mock answers")
}

/// Sends one request and reads the whole response.
pub(crate) async fn send(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Reply {
    let response = open(addr, method, path, headers, body).await;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .expect("the body arrives whole")
        .to_bytes();
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}

/// The `Authorization` value for [`KEY`].
pub(crate) fn bearer() -> String {
    format!("Bearer {KEY}")
}

/// `POST` a JSON body with a valid key.
pub(crate) async fn post(mock: &OpenAiMock, path: &str, body: &Value) -> Reply {
    let auth = bearer();
    let headers = [
        (AUTHORIZATION.as_str(), auth.as_str()),
        (CONTENT_TYPE.as_str(), "application/json"),
    ];
    send(
        mock.addr(),
        Method::POST,
        path,
        &headers,
        Bytes::from(body.to_string()),
    )
    .await
}

/// `GET` with a valid key.
pub(crate) async fn get(mock: &OpenAiMock, path: &str) -> Reply {
    let auth = bearer();
    send(
        mock.addr(),
        Method::GET,
        path,
        &[(AUTHORIZATION.as_str(), auth.as_str())],
        Bytes::new(),
    )
    .await
}

/// The raw bytes of a `POST` with a valid key, as a client would write them.
pub(crate) fn raw_post(path: &str, body: &Value) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Writes `request` on a new connection and reads until the mock closes it, failing if that
/// takes longer than two seconds.
pub(crate) async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connect to the mock");
    stream.write_all(request).await.expect("write the request");

    let mut received = Vec::new();
    let read =
        tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut received)).await;
    match read.expect("the mock closes the connection") {
        Ok(_) => {}
        // A reset instead of an orderly close is just as closed.
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(error) => panic!("unexpected read error: {error}"),
    }
    received
}

/// A chat request for `model` with one user message.
pub(crate) fn chat_body(model: &str, text: &str) -> Value {
    serde_json::json!({"model": model, "messages": [{"role": "user", "content": text}]})
}
