//! `hub-gateway healthcheck [HOST:PORT]`: asks a Hub process on this machine for `GET /health`
//! and succeeds only on a 200.
//!
//! The container image has no shell and no curl, so its `HEALTHCHECK` runs this. Without an
//! address it probes the gateway the same environment would start (`HOST`, `PORT`); with one,
//! any Hub process that serves `/health`, such as `hub-admin` on its management port.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, bail};

/// Long enough for a loaded gateway, short enough to answer within Docker's default 30 s.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Probes `address`, or the gateway's own address from the environment.
pub(crate) fn run(address: Option<&str>) -> anyhow::Result<()> {
    let address = match address {
        Some(address) => address.to_owned(),
        None => own_address(),
    };
    let target = resolve(&address)?;

    let status = probe(target).with_context(|| format!("no answer from {address}/health"))?;
    if status.split_whitespace().nth(1) != Some("200") {
        bail!("{address}/health answered `{status}`");
    }
    Ok(())
}

/// Where this environment's gateway listens, seen from inside its container: a gateway bound
/// to every interface is reached on loopback.
fn own_address() -> String {
    let host = std::env::var("HOST").unwrap_or_default();
    let host = match host.as_str() {
        "" | "0.0.0.0" => "127.0.0.1",
        "::" | "[::]" => "[::1]",
        other => other,
    };
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    format!("{host}:{port}")
}

fn resolve(address: &str) -> anyhow::Result<SocketAddr> {
    address
        .to_socket_addrs()
        .with_context(|| format!("`{address}` is not HOST:PORT"))?
        .next()
        .with_context(|| format!("`{address}` resolves to no address"))
}

/// Sends the request and returns the response's status line.
fn probe(target: SocketAddr) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect_timeout(&target, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let request = format!("GET /health HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;

    // The status line is all that matters, and fits well within the first 512 bytes.
    let mut head = [0; 512];
    let mut read = 0;
    while read < head.len() && !head[..read].contains(&b'\n') {
        let more = stream.read(&mut head[read..])?;
        if more == 0 {
            break;
        }
        read += more;
    }
    let text = String::from_utf8_lossy(&head[..read]);
    let line = text.lines().next().unwrap_or_default().trim();
    if !line.starts_with("HTTP/") {
        bail!("not an HTTP answer");
    }
    Ok(line.to_owned())
}
