//! The client side of the secrecy tests: requests sent at once, and every byte of every
//! answer kept, headers included, streams read as far as they go.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::markers::PROMPT;

/// One request the test sends: where, and with what body (`None` for a GET).
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) label: String,
    pub(crate) path: &'static str,
    pub(crate) body: Option<Value>,
}

impl Call {
    pub(crate) fn chat(model: &str, stream: bool) -> Call {
        let body = json!({
            "model": model,
            "stream": stream,
            "messages": [{"role": "user", "content": format!("Say hello. {PROMPT}")}],
        });
        Call::post(
            format!("chat {model} stream={stream}"),
            "/v1/chat/completions",
            body,
        )
    }

    pub(crate) fn embeddings(model: &str) -> Call {
        let body = json!({"model": model, "input": format!("embed {PROMPT}")});
        Call::post(format!("embeddings {model}"), "/v1/embeddings", body)
    }

    pub(crate) fn completion(model: &str, stream: bool) -> Call {
        let body = json!({"model": model, "stream": stream, "prompt": format!("Hi {PROMPT}")});
        Call::post(
            format!("completion {model} stream={stream}"),
            "/v1/completions",
            body,
        )
    }

    pub(crate) fn get(path: &'static str) -> Call {
        Call {
            label: format!("GET {path}"),
            path,
            body: None,
        }
    }

    fn post(label: String, path: &'static str, body: Value) -> Call {
        Call {
            label,
            path,
            body: Some(body),
        }
    }
}

/// What came back: the status, and the head and body as text.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) label: String,
    pub(crate) status: u16,
    pub(crate) text: String,
}

/// Sends every call at once and returns the answers, in no particular order.
pub(crate) async fn send_all(gateway: SocketAddr, calls: Vec<Call>) -> Vec<Answer> {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let mut running = JoinSet::new();
    for call in calls {
        running.spawn(send(client.clone(), gateway, call));
    }
    running.join_all().await
}

async fn send(
    client: Client<HttpConnector, Full<Bytes>>,
    gateway: SocketAddr,
    call: Call,
) -> Answer {
    let method = if call.body.is_some() {
        Method::POST
    } else {
        Method::GET
    };
    let body = call.body.map(|body| body.to_string()).unwrap_or_default();
    let request = Request::builder()
        .method(method)
        .uri(format!("http://{gateway}{}", call.path))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("a request");

    let exchange = async {
        let response = client.request(request).await.expect("the gateway answers");
        let status = response.status().as_u16();
        let mut text = String::new();
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes());
            text.push_str(&format!("{name}: {value}\n"));
        }
        let mut body = response.into_body();
        // A stream that breaks keeps what arrived before it broke.
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(data) = frame.data_ref() {
                text.push_str(&String::from_utf8_lossy(data));
            }
        }
        (status, text)
    };
    let (status, text) = tokio::time::timeout(Duration::from_secs(20), exchange)
        .await
        .unwrap_or_else(|_| panic!("{} was answered within 20 s", call.label));
    Answer {
        label: call.label,
        status,
        text,
    }
}
