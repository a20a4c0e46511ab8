//! SIGTERM stops the gateway only after the streams in flight have finished; a second one
//! stops it without waiting.

use std::time::Duration;

use hub_testkit::{MockConfig, OpenAiMock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{GatewayProcess, command, mock_config};

/// A gateway in front of an emulator that paces its stream `chunk_delay` apart, and a
/// streamed chat call through it whose head has arrived.
async fn open_stream(chunk_delay: Duration) -> (OpenAiMock, GatewayProcess, TcpStream) {
    let mock = OpenAiMock::start(MockConfig {
        stream_chunk_delay: chunk_delay,
        ..MockConfig::default()
    })
    .await
    .expect("the emulator starts");
    let (mut command, dir) = command(&mock_config(&mock.base_url()));
    command.env("MOCK_KEY", "any-key");
    let gateway = GatewayProcess::start(command, dir);

    let body = r#"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"one two three four five six seven eight"}]}"#;
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: hub\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(gateway.addr)
        .await
        .expect("the gateway accepts");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is sent");
    let mut first = [0_u8; 64];
    let read = stream.read(&mut first).await.expect("the head arrives");
    assert!(
        first[..read].starts_with(b"HTTP/1.1 200"),
        "the stream has started"
    );
    (mock, gateway, stream)
}

#[tokio::test]
async fn sigterm_lets_an_open_stream_finish() {
    let (_mock, mut gateway, mut stream) = open_stream(Duration::from_millis(60)).await;

    gateway.terminate();
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest))
        .await
        .expect("the stream ends within 10 s")
        .unwrap();

    let rest = String::from_utf8_lossy(&rest);
    assert!(
        rest.contains("data: [DONE]"),
        "the stream ran to its end: {rest}"
    );
    assert!(rest.contains("eight"), "no chunk was lost: {rest}");
    let access = std::iter::from_fn(|| gateway.logs.recv_timeout(Duration::from_secs(5)).ok())
        .find(|line| line["fields"]["message"] == "access")
        .expect("an access record for the stream");
    assert_eq!(access["fields"]["outcome"], "completed");
    assert_eq!(access["fields"]["stream"], true);
    assert!(
        access["fields"]["completion_tokens"].as_u64() > Some(0),
        "{access}"
    );

    let status = wait_for_exit(&mut gateway).await;
    assert!(status.success(), "hub-gateway exits cleanly: {status}");
    assert!(
        TcpStream::connect(gateway.addr).await.is_err(),
        "the port is closed"
    );
}

#[tokio::test]
async fn a_second_sigterm_stops_the_gateway_without_waiting_for_a_stream() {
    // A chunk every 2 s: the stream would run for about 20 s.
    let (_mock, mut gateway, mut stream) = open_stream(Duration::from_secs(2)).await;

    gateway.terminate();
    let waiting = std::iter::from_fn(|| gateway.logs.recv_timeout(Duration::from_secs(5)).ok())
        .find(|line| {
            line["fields"]["message"]
                == "stopped accepting connections; waiting for in-flight requests"
        });
    assert!(waiting.is_some(), "the first SIGTERM starts the drain");
    assert!(
        gateway.child.try_wait().unwrap().is_none(),
        "the gateway waits for the stream"
    );
    gateway.terminate();

    let status = wait_for_exit(&mut gateway).await;
    assert!(!status.success(), "cut short is not a clean stop: {status}");
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest))
        .await
        .expect("the stream is closed with the process")
        .ok();
    let rest = String::from_utf8_lossy(&rest);
    assert!(!rest.contains("data: [DONE]"), "the stream was cut: {rest}");
}

async fn wait_for_exit(gateway: &mut GatewayProcess) -> std::process::ExitStatus {
    for _ in 0..100 {
        if let Some(status) = gateway.child.try_wait().expect("the process can be polled") {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("hub-gateway did not exit within 10 s of SIGTERM");
}
