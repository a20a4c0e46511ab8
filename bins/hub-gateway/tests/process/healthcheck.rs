//! `hub-gateway healthcheck`, the probe the container image's HEALTHCHECK runs: it passes on a
//! serving gateway and fails, saying why, on anything else.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};

use crate::common::{GatewayProcess, command, mock_config};

fn healthcheck(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hub-gateway"))
        .arg("healthcheck")
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("hub-gateway runs")
}

fn serving_gateway() -> GatewayProcess {
    let (mut command, dir) = command(&mock_config("http://127.0.0.1:9/v1"));
    command.env("MOCK_KEY", "k");
    GatewayProcess::start(command, dir)
}

#[test]
fn a_serving_gateway_is_healthy_by_address_and_by_its_environment() {
    let gateway = serving_gateway();
    let port = gateway.addr.port().to_string();

    let by_address = healthcheck(&[&gateway.addr.to_string()], &[]);
    assert!(by_address.status.success(), "{by_address:?}");

    // The container's own environment: bound to every interface, probed on loopback.
    let by_env = healthcheck(&[], &[("HOST", "0.0.0.0"), ("PORT", &port)]);
    assert!(by_env.status.success(), "{by_env:?}");
}

#[test]
fn nothing_listening_is_unhealthy() {
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();

    let output = healthcheck(&[&free.to_string()], &[]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("no answer from {free}/health")),
        "{stderr}"
    );
}

#[test]
fn an_answer_other_than_200_is_unhealthy() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0; 1024];
        let _ = stream.read(&mut request).unwrap();
        stream
            .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
            .unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });

    let output = healthcheck(&[&addr.to_string()], &[]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("answered `HTTP/1.1 503 Service Unavailable`"),
        "{stderr}"
    );
    let request = server.join().unwrap();
    assert!(request.starts_with("GET /health HTTP/1.1\r\n"), "{request}");
}
