//! Starting on a chosen or picked port, and stopping by shutdown or by drop.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hub_testkit::{MockConfig, OpenAiMock};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::client;

#[tokio::test]
async fn the_base_url_points_at_the_picked_loopback_port() {
    let mock = client::mock().await;

    let addr = mock.addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(
        mock.base_url(),
        format!("http://127.0.0.1:{}/v1", addr.port())
    );
}

#[tokio::test]
async fn a_configured_address_is_used() {
    // Borrow a free port from the OS, then hand it to the mock.
    let probe = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
    let addr = probe.local_addr().expect("an address");
    drop(probe);

    let mock = OpenAiMock::start(MockConfig {
        addr: Some(addr),
        ..MockConfig::default()
    })
    .await
    .expect("the mock binds the chosen port");

    assert_eq!(mock.addr(), addr);
    assert_eq!(client::get(&mock, "/v1/models").await.status, 200);
}

async fn refuses_connections(addr: SocketAddr) -> bool {
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let mock = client::mock().await;
    let addr = mock.addr();

    drop(mock);

    assert!(refuses_connections(addr).await);
}

#[tokio::test]
async fn shutdown_stops_listening_and_closes_idle_connections() {
    let mock = client::mock().await;
    let addr = mock.addr();
    let mut idle = TcpStream::connect(addr).await.expect("connect");

    mock.shutdown().await;

    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(2), idle.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the idle connection is closed");
    assert!(refuses_connections(addr).await);
}

#[tokio::test]
async fn open_connections_are_counted_until_the_caller_hangs_up() {
    let mock = client::mock().await;
    assert_eq!(mock.open_connections(), 0);

    let stream = TcpStream::connect(mock.addr()).await.expect("a connection");
    let mut counted = false;
    for _ in 0..100 {
        if mock.open_connections() == 1 {
            counted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(counted, "the open connection is counted");

    drop(stream);
    for _ in 0..100 {
        if mock.open_connections() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the closed connection is still counted");
}
