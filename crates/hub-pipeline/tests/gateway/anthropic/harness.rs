//! A gateway served on a loopback port in front of the Anthropic emulator.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hub_core::config::HubConfig;
use hub_pipeline::{Gateway, Snapshot};
use hub_testkit::{AnthropicConfig, AnthropicMock, RecordedRequest};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::common::Reply;

pub(crate) const KEY: &str = "sk-ant-upstream";

/// A running gateway and the Anthropic emulator behind it.
pub(crate) struct Claude {
    pub(crate) mock: AnthropicMock,
    addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

/// Models `claude` and `haiku` on the provider `anthropic`, in the default chat pipeline.
fn config(base_url: &str) -> Value {
    json!({
        "providers": [{"key": "anthropic", "type": "anthropic", "api_key": KEY,
                       "base_url": base_url, "timeout_ms": 2000}],
        "models": [
            {"key": "claude", "type": "claude-sonnet-4-5", "provider": "anthropic"},
            {"key": "haiku", "type": "claude-haiku-4-5", "provider": "anthropic"}
        ],
        "pipelines": [
            {"name": "default", "type": "chat", "plugins": [
                {"model-router": {"models": ["claude", "haiku"]}}]}
        ]
    })
}

impl Claude {
    pub(crate) async fn start() -> Claude {
        Claude::start_with(|_| {}).await
    }

    /// The gateway on the default configuration as `edit` changes it.
    pub(crate) async fn start_with(edit: impl FnOnce(&mut Value)) -> Claude {
        Claude::start_before(AnthropicConfig::default(), edit).await
    }

    /// The gateway as `edit` configures it, before an emulator configured by `mock`.
    pub(crate) async fn start_before(
        mock: AnthropicConfig,
        edit: impl FnOnce(&mut Value),
    ) -> Claude {
        let mock = AnthropicMock::start(AnthropicConfig {
            api_key: Some(KEY.to_owned()),
            ..mock
        })
        .await
        .expect("the emulator starts");
        let mut config = config(&mock.base_url());
        edit(&mut config);
        let config: HubConfig = serde_json::from_value(config).expect("a config");
        let snapshot = Snapshot::build(&config).expect("a snapshot");

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(hub_pipeline::serve(
            listener,
            Gateway::new(snapshot),
            async {
                let _ = stopped.await;
            },
        ));

        Claude {
            mock,
            addr,
            client: Client::builder(TokioExecutor::new()).build_http(),
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// POSTs `body` to the gateway's chat endpoint and reads the whole answer.
    pub(crate) async fn chat(&self, body: &Value) -> Reply {
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("http://{}/v1/chat/completions", self.addr))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("a request");
        let response = tokio::time::timeout(Duration::from_secs(10), self.client.request(request))
            .await
            .expect("the gateway answers within 10 s")
            .expect("the gateway accepts the request");

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

    /// The last request Anthropic received.
    pub(crate) fn sent(&self) -> RecordedRequest {
        self.mock.requests().pop().expect("the upstream saw a call")
    }

    /// Stops the gateway, waiting for in-flight requests.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("the server task ends cleanly");
        }
    }
}

/// The chunks of a streamed answer, checking that it ends with `[DONE]`.
pub(crate) fn chunks(reply: &Reply) -> Vec<Value> {
    let mut events = reply.events();
    assert_eq!(events.pop().as_deref(), Some("[DONE]"), "{events:?}");
    events
        .iter()
        .map(|event| serde_json::from_str(event).expect("chunks are JSON"))
        .collect()
}

/// The error event that ended a stream in place of `[DONE]`.
pub(crate) fn stream_error(reply: &Reply) -> Value {
    let events = reply.events();
    assert!(!events.contains(&"[DONE]".to_owned()), "{events:?}");
    let last: Value = serde_json::from_str(events.last().expect("some event")).expect("JSON");
    last["error"].clone()
}
