//! Secrecy of the real binary: every credential the gateway handles, and a prompt while
//! content tracing is off, carry a unique marker; traffic reaches every provider with right
//! and wrong credentials (the emulators quote wrong ones back whole) and through every fault
//! (error statuses quoting the credential, malformed bodies, resets, broken streams, stream
//! error events, timeouts); and no marker may show in the logs at `trace`, the spans exported
//! over OTLP, `/metrics`, or any header or body a client received.

mod client;
mod collector;
mod database;
mod markers;
mod upstreams;

use std::time::Duration;

use serde_json::Value;

use self::client::{Answer, Call, send_all};
use self::collector::Collector;
use self::markers::{PROMPT, TRACING_KEY, credentials, find};
use self::upstreams::{COMPLETIONS, EMBEDDINGS, PHASES, Phase, ROUTES, Upstreams};
use crate::common::{GatewayProcess, command};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credential_and_no_prompt_leaves_the_gateway() {
    let collector = Collector::start().await;
    let upstreams = Upstreams::start().await;
    let (mut command, dir) = command("");
    std::fs::write(
        dir.path().join("config.yaml"),
        upstreams.config(dir.path(), &collector.endpoint()),
    )
    .expect("the config is written");
    command.env("RUST_LOG", "trace");
    let mut gateway = GatewayProcess::start(command, dir);

    let mut answers = send_all(gateway.addr, every_operation()).await;
    check_service(&answers);
    for phase in PHASES {
        upstreams.inject(phase);
        answers.extend(send_all(gateway.addr, faulted_calls(phase)).await);
    }
    upstreams.heal();
    answers.extend(send_all(gateway.addr, vec![Call::get("/metrics")]).await);

    let logs = stop(&mut gateway);
    let exports = collector.exports();
    check_channels_carried_something(&logs, &exports, &answers);

    let private_key_line = private_key_line(&upstreams);
    let secrets = credentials(&private_key_line);
    let prompt = [("prompt", PROMPT.to_owned())];
    let mut leaks = Vec::new();
    for line in &logs {
        leaks.extend(find(&secrets, "the log", line));
        leaks.extend(find(&prompt, "the log", line));
    }
    for export in &exports {
        let body = String::from_utf8_lossy(&export.body);
        leaks.extend(find(&secrets, "an OTLP export", &body));
        leaks.extend(find(&prompt, "an OTLP export", &body));
    }
    for answer in &answers {
        let place = format!("the answer to {}", answer.label);
        leaks.extend(find(&secrets, &place, &answer.text));
        if answer.label == "GET /metrics" {
            leaks.extend(find(&prompt, &place, &answer.text));
        }
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n\n")
    );
}

/// Chat (whole and streamed) on every route, embeddings, legacy completions.
fn every_operation() -> Vec<Call> {
    let mut calls = Vec::new();
    for route in ROUTES {
        calls.push(Call::chat(route.provider, false));
        calls.push(Call::chat(route.provider, true));
    }
    calls.extend(EMBEDDINGS.iter().map(|(key, _, _)| Call::embeddings(key)));
    for (key, _, _) in COMPLETIONS {
        calls.push(Call::completion(key, false));
        calls.push(Call::completion(key, true));
    }
    calls
}

/// Chat on one route of each provider, streamed where the fault is a stream's.
fn faulted_calls(phase: Phase) -> Vec<Call> {
    let streams_only = matches!(phase, Phase::CutStream | Phase::StreamError);
    let mut calls = Vec::new();
    for route in ROUTES.iter().filter(|route| route.faulted) {
        calls.push(Call::chat(route.provider, true));
        if !streams_only {
            calls.push(Call::chat(route.provider, false));
        }
    }
    calls
}

/// Right credentials are served and wrong ones refused, so the test saw both paths.
fn check_service(answers: &[Answer]) {
    for route in ROUTES {
        let label = format!("chat {} stream=false", route.provider);
        let answer = answers.iter().find(|answer| answer.label == label);
        let status = answer.map(|answer| answer.status);
        if route.accepted {
            assert_eq!(status, Some(200), "{answer:?}");
        } else {
            assert!(status.is_some_and(|status| status >= 400), "{answer:?}");
        }
    }
    for answer in answers
        .iter()
        .filter(|answer| !answer.label.starts_with("chat"))
    {
        let refused = answer.label.contains("wrong");
        assert_eq!(answer.status >= 400, refused, "{answer:?}");
    }
}

/// Each channel searched held what it should, so a clean search means something: logs at
/// trace, spans from every pipeline with the exporter's key in their headers only, metrics.
fn check_channels_carried_something(
    logs: &[String],
    exports: &[collector::Export],
    answers: &[Answer],
) {
    assert!(
        logs.iter().any(|line| line.contains(r#""level":"TRACE""#)),
        "the gateway logged at trace"
    );
    assert!(logs.iter().any(|line| line.contains("attempt failed")));

    let bodies: Vec<String> = exports
        .iter()
        .map(|export| String::from_utf8_lossy(&export.body).into_owned())
        .collect();
    for model in [
        "gpt-4o",
        "claude-haiku-4-5",
        "gemini-2.5-flash",
        "amazon.nova-lite-v1:0",
    ] {
        assert!(
            bodies.iter().any(|body| body.contains(model)),
            "spans naming {model} were exported"
        );
    }
    let bearer = format!("Bearer {TRACING_KEY}");
    let authorized = exports.iter().all(|export| {
        export
            .headers
            .get("authorization")
            .is_some_and(|v| v == &bearer)
    });
    assert!(authorized, "every export carried the exporter's key");

    let metrics = answers.iter().find(|answer| answer.label == "GET /metrics");
    assert!(
        metrics.is_some_and(|metrics| metrics.text.contains("gen_ai_client_token_usage")),
        "{metrics:?}"
    );
}

/// Stops the gateway and returns every line it wrote.
fn stop(gateway: &mut GatewayProcess) -> Vec<String> {
    gateway.terminate();
    let exit = gateway.child.wait().expect("the gateway exits");
    assert!(exit.success(), "{exit}");
    let mut lines: Vec<String> = gateway.startup_logs.iter().map(Value::to_string).collect();
    while let Ok(line) = gateway.logs.recv_timeout(Duration::from_secs(5)) {
        lines.push(match line {
            Value::String(text) => text,
            other => other.to_string(),
        });
    }
    lines
}

/// A line from the middle of the test service account's private key.
fn private_key_line(upstreams: &Upstreams) -> String {
    let key_file: Value =
        serde_json::from_str(&upstreams.vertex.service_account_json()).expect("JSON");
    let pem = key_file["private_key"].as_str().expect("a private key");
    pem.lines()
        .nth(2)
        .expect("a PEM of several lines")
        .to_owned()
}
