//! A client that stops reading a stream: the gateway must stop reading the upstream too,
//! rather than drain it into memory. An upstream that streams without end, counting what it
//! managed to write, shows it: the count stops growing once the buffers on the way are full.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use crate::common::{Harness, chat, streamed};
use crate::raw::{self, DEADLINE};

/// An OpenAI-compatible upstream whose chat streams never end.
struct Endless {
    addr: std::net::SocketAddr,
    written: Arc<AtomicUsize>,
}

impl Endless {
    async fn start() -> Endless {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let written = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&written);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(stream_forever(stream, Arc::clone(&counter)));
            }
        });
        Endless { addr, written }
    }

    /// Waits until nothing more has been written for a while, and returns the bytes written.
    async fn stalled(&self) -> usize {
        let wait = async {
            let mut last = usize::MAX;
            loop {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let now = self.written.load(Ordering::Relaxed);
                if now == last {
                    return now;
                }
                last = now;
            }
        };
        tokio::time::timeout(DEADLINE, wait)
            .await
            .expect("the upstream is held back once the client stops reading")
    }
}

/// Reads one request, then sends chunks of a chat stream until the connection fails.
async fn stream_forever(mut stream: TcpStream, written: Arc<AtomicUsize>) {
    let mut request = Vec::new();
    let mut buffer = [0; 8192];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => request.extend_from_slice(&buffer[..read]),
        }
    }
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                transfer-encoding: chunked\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }

    let chunk = json!({"id": "chatcmpl-endless", "object": "chat.completion.chunk",
        "created": 1, "model": "gpt-4o",
        "choices": [{"index": 0, "delta": {"content": "word "}, "finish_reason": null}]});
    let event = format!("data: {chunk}\n\n");
    let framed = format!("{:x}\r\n{event}\r\n", event.len());
    while stream.write_all(framed.as_bytes()).await.is_ok() {
        written.fetch_add(framed.len(), Ordering::Relaxed);
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_holds_the_upstream_back() {
    let upstream = Endless::start().await;
    let config = json!({
        "general": {"max_header_bytes": 8192},
        "providers": [{"key": "endless", "type": "openai", "api_key": "k",
                       "base_url": format!("http://{}/v1", upstream.addr)}],
        "models": [{"key": "endless", "type": "gpt-4o", "provider": "endless"}],
        "pipelines": [{"name": "default", "type": "chat",
                       "plugins": [{"model-router": {"models": ["endless"]}}]}]
    });
    let hub = Harness::serve(upstream, config).await;
    let body = streamed(chat("endless", "go on forever")).to_string();
    let socket = TcpSocket::new_v4().expect("a socket");
    socket
        .set_recv_buffer_size(4096)
        .expect("a small receive buffer");
    let mut client = socket.connect(hub.addr).await.expect("the gateway accepts");

    raw::send(
        &mut client,
        raw::post_head("/v1/chat/completions", body.len()),
    )
    .await;
    raw::send(&mut client, &body).await;
    let mut start = [0; 1024];
    let read = client.read(&mut start).await.expect("the stream starts");
    let held_back = hub.mock.stalled().await;

    assert!(start[..read].starts_with(b"HTTP/1.1 200"));
    // Socket buffers on both legs and hyper's bounded buffers hold a few megabytes at most.
    assert!(held_back < 32 << 20, "{held_back} bytes written upstream");
    drop(client);
    let reply = hub.call(http::Method::GET, "/health", &[], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    hub.stop().await;
}
