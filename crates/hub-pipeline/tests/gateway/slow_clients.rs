//! Clients that are slow on purpose or by fault: a head sent a byte at a time, a body that
//! never finishes, a connection left idle, a stream nobody reads. None holds the gateway's
//! resources past its timeout, and the gateway serves others throughout.
//!
//! The timeouts are short here (300 ms); the deadlines only turn a hang into a failure.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hub_testkit::MockConfig;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::common::{Harness, chat, streamed};
use crate::raw::{self, DEADLINE, RawReply};

async fn limited(general: Value) -> Harness {
    Harness::start_with(MockConfig::default(), |config| config["general"] = general).await
}

async fn still_serves(hub: &Harness) {
    let reply = hub
        .post("/v1/chat/completions", &chat("mini", "still there?"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "the gateway keeps serving");
}

/// Writes `bytes` one at a time, a tenth of a second apart, until the gateway stops taking
/// them; returns how many it took.
async fn dribble(stream: &mut TcpStream, bytes: &[u8]) -> usize {
    for (sent, byte) in bytes.iter().enumerate() {
        if stream.write_all(&[*byte]).await.is_err() {
            return sent;
        }
        let mut peek = [0; 1];
        let closed = tokio::time::timeout(Duration::from_millis(100), stream.peek(&mut peek)).await;
        if matches!(closed, Ok(Ok(0) | Err(_))) {
            return sent + 1;
        }
    }
    bytes.len()
}

#[tokio::test]
async fn a_head_sent_a_byte_at_a_time_is_cut_off() {
    let hub = limited(json!({"header_read_timeout_ms": 300})).await;
    let mut stream = raw::connect(hub.addr).await;
    let head = format!(
        "GET /health HTTP/1.1\r\nhost: hub\r\nx-slow: {}\r\n\r\n",
        "a".repeat(600)
    );

    let sent = tokio::time::timeout(DEADLINE, dribble(&mut stream, head.as_bytes()))
        .await
        .expect("the gateway closes the connection before the deadline");
    let answer = raw::read_to_close(&mut stream).await;

    assert!(sent < head.len(), "the whole head was taken");
    assert!(
        answer.is_empty(),
        "hyper closes without an answer: {answer:?}"
    );
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_a_408() {
    let hub = limited(json!({"request_body_timeout_ms": 300})).await;
    let mut stream = raw::connect(hub.addr).await;

    // A length that a lying client announces and never sends, within the body limit.
    raw::send(
        &mut stream,
        raw::post_head("/v1/chat/completions", 30 << 20),
    )
    .await;
    raw::send(&mut stream, "{\"model\": \"mini\",").await;
    let reply = RawReply::parse(&raw::read_to_close(&mut stream).await);

    assert_eq!(reply.status, 408);
    assert!(
        reply.head.contains("content-type: application/json"),
        "{}",
        reply.head
    );
    let error = reply.error();
    assert_eq!(error["code"], "request_timeout");
    assert_eq!(error["type"], "invalid_request_error");
    assert!(
        hub.mock.requests().is_empty(),
        "nothing reached the upstream"
    );
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let hub = limited(json!({"idle_timeout_ms": 300})).await;
    let mut silent = raw::connect(hub.addr).await;
    let mut kept_alive = raw::connect(hub.addr).await;

    raw::send(&mut kept_alive, "GET /health HTTP/1.1\r\nhost: hub\r\n\r\n").await;
    let answered = raw::read_to_close(&mut kept_alive).await;
    let nothing = raw::read_to_close(&mut silent).await;

    assert_eq!(RawReply::parse(&answered).status, 200);
    assert!(nothing.is_empty(), "{nothing:?}");
    still_serves(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn idle_http2_connections_are_closed() {
    let hub = limited(json!({"idle_timeout_ms": 300})).await;
    let (mut sender, connection) = raw::http2(hub.addr).await;
    let health = Request::get(format!("http://{}/health", hub.addr))
        .body(Full::new(Bytes::new()).boxed())
        .expect("a request");

    let (status, _) = raw::http2_call(&mut sender, health)
        .await
        .expect("an answer");
    let closed = tokio::time::timeout(DEADLINE, connection)
        .await
        .expect("the gateway closes the idle connection before the deadline");

    assert_eq!(status, StatusCode::OK);
    closed
        .expect("the connection task ends")
        .expect("the connection ends cleanly, with GOAWAY");
    still_serves(&hub).await;
    hub.stop().await;
}

/// A client that asks for a long stream and stops reading: each event is produced only when
/// the last was written, so the stream stays unfinished (holding its request slot) instead of
/// being drained into the gateway's memory, and resumes when the client reads again.
#[tokio::test]
async fn a_stream_nobody_reads_waits_for_its_reader() {
    let hub = limited(json!({"max_concurrent_requests": 1, "max_header_bytes": 8192})).await;
    let words = "word ".repeat(50_000);
    let body = streamed(chat("mini", &words)).to_string();
    let socket = TcpSocket::new_v4().expect("a socket");
    socket
        .set_recv_buffer_size(4096)
        .expect("a small receive buffer");
    let mut stream = socket.connect(hub.addr).await.expect("the gateway accepts");

    raw::send(
        &mut stream,
        raw::post_head("/v1/chat/completions", body.len()),
    )
    .await;
    raw::send(&mut stream, &body).await;
    let mut first = [0; 1024];
    let read = stream.read(&mut first).await.expect("the stream starts");
    assert!(first[..read].starts_with(b"HTTP/1.1 200"));

    // Megabytes of events are due; were they drained into memory, the stream would end and
    // free its slot. The slot stays taken for as long as the client does not read.
    for _ in 0..10 {
        let during = hub
            .post("/v1/chat/completions", &chat("mini", "meanwhile"))
            .await;
        assert_eq!(during.status, StatusCode::SERVICE_UNAVAILABLE);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let rest = raw::read_until(&mut stream, b"\r\n0\r\n\r\n").await;
    assert!(
        rest.ends_with(b"data: [DONE]\n\n\r\n0\r\n\r\n"),
        "the stream resumes and ends"
    );
    let after = hub
        .post("/v1/chat/completions", &chat("mini", "afterwards"))
        .await;
    assert_eq!(after.status, StatusCode::OK);
    hub.stop().await;
}
