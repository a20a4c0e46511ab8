//! A gateway served on a loopback port in front of the OpenAI emulator, and a small client.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hub_core::config::HubConfig;
use hub_pipeline::{Gateway, Snapshot};
use hub_testkit::{MockConfig, OpenAiMock};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub(crate) const MOCK_KEY: &str = "sk-mock-upstream";

/// A running gateway and the emulator behind it, the OpenAI one unless a test says otherwise.
pub(crate) struct Harness<M = OpenAiMock> {
    pub(crate) mock: M,
    pub(crate) addr: SocketAddr,
    pub(crate) gateway: Gateway,
    client: Client<HttpConnector, Full<Bytes>>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

/// A response read whole.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.body))
    }

    /// The `data:` payloads of an event stream, in order.
    pub(crate) fn events(&self) -> Vec<String> {
        let text = std::str::from_utf8(&self.body).expect("utf-8 stream");
        text.split("\n\n")
            .filter(|event| !event.is_empty())
            .map(|event| {
                event
                    .strip_prefix("data: ")
                    .expect("a data event")
                    .to_owned()
            })
            .collect()
    }

    /// The JSON chunks of an event stream, asserting that it ends with `[DONE]`.
    pub(crate) fn chunks(&self) -> Vec<Value> {
        let mut events = self.events();
        assert_eq!(events.pop().as_deref(), Some("[DONE]"), "{:?}", self.body);
        events
            .iter()
            .map(|event| serde_json::from_str(event).expect("chunks are JSON"))
            .collect()
    }

    /// The error body's fields, asserting OpenAI's shape.
    pub(crate) fn error(&self) -> Value {
        let body = self.json();
        let error = body["error"].clone();
        for field in ["message", "type", "param", "code"] {
            assert!(
                error.get(field).is_some(),
                "error body lacks {field}: {body}"
            );
        }
        error
    }
}

/// The configuration used by most tests, with `base_url` pointing at the emulator.
pub(crate) fn config(base_url: &str) -> Value {
    json!({
        "providers": [{"key": "mock-openai", "type": "openai", "api_key": MOCK_KEY,
                       "base_url": base_url, "timeout_ms": 2000}],
        "models": [
            {"key": "chat-model", "type": "gpt-4o", "provider": "mock-openai"},
            {"key": "mini", "type": "gpt-4o-mini", "provider": "mock-openai"},
            {"key": "instruct", "type": "gpt-3.5-turbo-instruct", "provider": "mock-openai"},
            {"key": "embedder", "type": "text-embedding-3-small", "provider": "mock-openai"}
        ],
        "pipelines": [
            {"name": "default", "type": "chat", "plugins": [
                {"logging": {"level": "info"}},
                {"model-router": {"models": ["chat-model", "mini"]}}]},
            {"name": "minimal", "type": "chat", "plugins": [
                {"model-router": {"models": ["mini"]}}]},
            {"name": "legacy", "type": "completion", "plugins": [
                {"model-router": {"models": ["instruct"]}}]},
            {"name": "vectors", "type": "embeddings", "plugins": [
                {"logging": {"level": "debug"}},
                {"model-router": {"models": ["embedder"]}}]}
        ]
    })
}

/// Installs, once per test process, the OpenTelemetry layer and the metrics recorder, as
/// `hub-gateway` does at start; returns the recorder's handle.
pub(crate) fn telemetry() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            tracing_subscriber::registry()
                .with(hub_pipeline::telemetry::layer())
                .try_init()
                .expect("no other subscriber in the test process");
            hub_pipeline::telemetry::metrics::install().expect("the metrics recorder installs")
        })
        .clone()
}

/// The default configuration for `mock` as `edit` changes it, compiled.
pub(crate) fn snapshot(mock: &OpenAiMock, edit: impl FnOnce(&mut Value)) -> Snapshot {
    let mut config = config(&mock.base_url());
    edit(&mut config);
    let config: HubConfig = serde_json::from_value(config).expect("a config");
    Snapshot::build(&config).expect("a snapshot")
}

impl Harness {
    /// The gateway on the default configuration.
    pub(crate) async fn start() -> Harness {
        Harness::start_with(MockConfig::default(), |_| {}).await
    }

    /// The gateway on the default configuration as `edit` changes it.
    pub(crate) async fn start_with(mock: MockConfig, edit: impl FnOnce(&mut Value)) -> Harness {
        let mock = OpenAiMock::start(MockConfig {
            api_key: Some(MOCK_KEY.to_owned()),
            ..mock
        })
        .await
        .expect("emulator starts");
        let mut config = config(&mock.base_url());
        edit(&mut config);
        Harness::serve(mock, config).await
    }
}

impl<M> Harness<M> {
    /// The gateway on `config`, in front of `mock`.
    pub(crate) async fn serve(mock: M, config: Value) -> Harness<M> {
        let config: HubConfig = serde_json::from_value(config).expect("a config");
        let snapshot = Snapshot::build(&config).expect("a snapshot");
        let gateway = Gateway::new(snapshot).with_metrics(telemetry());

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(hub_pipeline::serve(listener, gateway.clone(), async {
            let _ = stopped.await;
        }));
        let client = Client::builder(TokioExecutor::new()).build_http();

        Harness {
            mock,
            addr,
            gateway,
            client,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// Sends a request and waits for the response head.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> http::Response<hyper::body::Incoming> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body.into())).expect("a request");
        tokio::time::timeout(Duration::from_secs(10), self.client.request(request))
            .await
            .expect("the gateway answers within 10 s")
            .expect("the gateway accepts the request")
    }

    /// Sends a request and reads the whole response.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        let response = self.send(method, path, headers, body).await;
        let (parts, body) = response.into_parts();
        let body = tokio::time::timeout(Duration::from_secs(10), body.collect())
            .await
            .expect("the body ends within 10 s")
            .expect("the body reads")
            .to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// POSTs JSON to `path`.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Reply {
        self.post_with(path, &[], body).await
    }

    /// POSTs JSON to `path` with extra headers.
    pub(crate) async fn post_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Reply {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.call(Method::POST, path, &all, body.to_string()).await
    }

    /// Stops the gateway, waiting for in-flight requests, then the emulator.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("the server task ends cleanly");
        }
    }
}

/// A chat request for `model` saying `text`.
pub(crate) fn chat(model: &str, text: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": text}]})
}

/// `request` asking for a stream.
pub(crate) fn streamed(mut request: Value) -> Value {
    request["stream"] = json!(true);
    request
}
