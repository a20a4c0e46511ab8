//! Database mode around the binary: the management API served in this process over a test
//! database, the gateway started against that database, and a steady stream of requests
//! whose every outcome is kept.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hub_management::api::{AdminAuth, management_api};
use hub_management::{Database, Keyring, Management};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::common::GatewayProcess;

/// The key the admin seals with and the gateway opens with.
pub(crate) const SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub(crate) const ADMIN_TOKEN: &str = "process-test-admin-token-42";
/// The upstream key, stored as a literal credential: it must never show in a log.
pub(crate) const UPSTREAM_KEY: &str = "sk-upstream-literal-77d1e0";

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// The management API, served on a loopback port over the database at `url`.
pub(crate) struct AdminApi {
    addr: SocketAddr,
    client: HttpClient,
    _server: JoinHandle<()>,
}

impl AdminApi {
    pub(crate) async fn start(url: &str) -> AdminApi {
        let database = Database::connect(url, 4).expect("a pool");
        database.migrate().await.expect("the migrations apply");
        let keyring = Arc::new(Keyring::new(SECRET_KEY, &[]).expect("a keyring"));
        let api = management_api(
            Management::new(database, keyring),
            &AdminAuth::Token(ADMIN_TOKEN.into()),
        )
        .expect("an API");

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let server = tokio::spawn(hub_management::api::serve(
            listener,
            api,
            std::future::pending(),
        ));
        AdminApi {
            addr,
            client: client(),
            _server: server,
        }
    }

    /// Sends a write and returns its status and body once the response is in.
    pub(crate) async fn send(&self, method: Method, path: &str, body: &Value) -> (u16, Value) {
        let (status, _, body) = self.exchange(ADMIN_TOKEN, method, path, body).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// Sends a request with `token` as the bearer, and returns its status and its whole
    /// answer as text, headers included.
    pub(crate) async fn send_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: &Value,
    ) -> (u16, String) {
        let (status, headers, body) = self.exchange(token, method, path, body).await;
        (
            status,
            format!("{headers}\n{}", String::from_utf8_lossy(&body)),
        )
    }

    async fn exchange(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: &Value,
    ) -> (u16, String, Bytes) {
        let request = Request::builder()
            .method(method)
            .uri(format!("http://{}/api/v1/management{path}", self.addr))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("a request");
        let response = self.client.request(request).await.expect("the API answers");
        let status = response.status().as_u16();
        let headers = format!("{:?}", response.headers());
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        (status, headers, body)
    }

    /// A provider at the emulator, a model `chat` on it serving `model_type`, and the
    /// default pipeline routing to it. Returns the model's id.
    pub(crate) async fn seed(&self, mock_url: &str, model_type: &str) -> String {
        let provider = json!({
            "name": "mock",
            "provider_type": "openai",
            "config": {
                "base_url": mock_url,
                "api_key": {"type": "literal", "value": UPSTREAM_KEY},
            },
        });
        let (status, provider) = self.send(Method::POST, "/providers", &provider).await;
        assert_eq!(status, 201, "{provider}");

        let model = json!({"key": "chat", "model_type": model_type, "provider_id": provider["id"]});
        let (status, model) = self.send(Method::POST, "/model-definitions", &model).await;
        assert_eq!(status, 201, "{model}");

        let pipeline = json!({"name": "default", "pipeline_type": "chat", "plugins": [
            {"plugin_type": "model-router", "config_data": {"models": ["chat"]}}]});
        let (status, pipeline) = self.send(Method::POST, "/pipelines", &pipeline).await;
        assert_eq!(status, 201, "{pipeline}");
        model["id"].as_str().expect("an id").to_owned()
    }
}

/// The gateway binary in database mode against `url`, polling every second.
pub(crate) fn start_gateway(url: &str) -> GatewayProcess {
    start_gateway_logging(url, "debug")
}

/// [`start_gateway`], logging at `level`.
pub(crate) fn start_gateway_logging(url: &str, level: &str) -> GatewayProcess {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut command = Command::new(env!("CARGO_BIN_EXE_hub-gateway"));
    command
        .env_clear()
        .env("HUB_MODE", "database")
        .env("DATABASE_URL", url)
        .env("HUB_SECRET_KEY", SECRET_KEY)
        .env("DB_POLL_INTERVAL_SECONDS", "1")
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", level)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    GatewayProcess::start(command, dir)
}

/// One request of the stream.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) done: Instant,
    pub(crate) status: u16,
    /// The model the answer names: the upstream model the gateway routed to.
    pub(crate) model: Option<String>,
}

/// Chat requests sent back to back by a few workers until stopped.
pub(crate) struct Traffic {
    outcomes: Arc<Mutex<Vec<Outcome>>>,
    running: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl Traffic {
    pub(crate) fn start(gateway: SocketAddr, workers: usize) -> Traffic {
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let running = Arc::new(AtomicBool::new(true));
        let workers = (0..workers)
            .map(|_| {
                let (outcomes, running) = (Arc::clone(&outcomes), Arc::clone(&running));
                tokio::spawn(async move {
                    let client = client();
                    while running.load(Ordering::Relaxed) {
                        let outcome = chat(&client, gateway).await;
                        outcomes.lock().expect("not poisoned").push(outcome);
                    }
                })
            })
            .collect();
        Traffic {
            outcomes,
            running,
            workers,
        }
    }

    /// The outcomes so far.
    pub(crate) fn outcomes(&self) -> Vec<Outcome> {
        self.outcomes.lock().expect("not poisoned").clone()
    }

    /// Waits for the first answer after `since` from `model`, up to `within`.
    pub(crate) async fn first_naming(
        &self,
        model: &str,
        since: Instant,
        within: Duration,
    ) -> Option<Instant> {
        let deadline = since + within;
        while Instant::now() < deadline {
            let found = self
                .outcomes()
                .iter()
                .filter(|outcome| outcome.done >= since)
                .find(|outcome| {
                    outcome
                        .model
                        .as_deref()
                        .is_some_and(|m| is_snapshot_of(m, model))
                })
                .map(|outcome| outcome.done);
            if found.is_some() {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        None
    }

    /// Stops the workers and returns every outcome.
    pub(crate) async fn stop(self) -> Vec<Outcome> {
        self.running.store(false, Ordering::Relaxed);
        let outcomes = Arc::clone(&self.outcomes);
        for worker in self.workers {
            worker.await.expect("a worker ends");
        }
        outcomes.lock().expect("not poisoned").clone()
    }
}

/// Whether `answer`, the model an answer names, is `model` or a dated snapshot of it
/// (`gpt-4o-2024-08-06`), as the API names the model that served a request.
fn is_snapshot_of(answer: &str, model: &str) -> bool {
    let Some(rest) = answer.strip_prefix(model) else {
        return false;
    };
    let dated = rest.len() == "-2024-08-06".len()
        && rest.starts_with('-')
        && rest[1..].chars().all(|c| c.is_ascii_digit() || c == '-');
    rest.is_empty() || dated
}

async fn chat(client: &HttpClient, gateway: SocketAddr) -> Outcome {
    let body = json!({"model": "chat", "messages": [{"role": "user", "content": "ping"}]});
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("http://{gateway}/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a request");

    let response = tokio::time::timeout(Duration::from_secs(10), client.request(request)).await;
    let (status, body) = match response {
        Ok(Ok(response)) => {
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map(|body| body.to_bytes());
            (status, body.unwrap_or_default())
        }
        // A connection refused or a request that hangs counts as a failure.
        _ => (0, Bytes::new()),
    };
    let model = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|answer| answer["model"].as_str().map(str::to_owned));
    Outcome {
        done: Instant::now(),
        status,
        model,
    }
}

/// Reads the gateway's log lines until one says `message`, and returns every line read.
pub(crate) fn wait_for_log(
    gateway: &GatewayProcess,
    message: &str,
    within: Duration,
) -> Vec<Value> {
    let deadline = Instant::now() + within;
    let mut lines = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(line) = gateway.logs.recv_timeout(left) else {
            break;
        };
        let found = line["fields"]["message"] == message;
        lines.push(line);
        if found {
            return lines;
        }
    }
    panic!("the gateway did not log {message:?} within {within:?}; it logged:\n{lines:#?}");
}

/// Every log line the gateway has written and not yet been read.
pub(crate) fn drain_logs(gateway: &GatewayProcess) -> Vec<Value> {
    gateway.logs.try_iter().collect()
}
