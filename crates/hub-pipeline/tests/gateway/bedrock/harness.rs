//! A gateway on a loopback port whose models are served by the Bedrock emulator.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hub_core::config::HubConfig;
use hub_pipeline::{Gateway, Snapshot};
use hub_testkit::{BedrockMock, BedrockMockConfig};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::common::Reply;

/// The emulator's default key.
pub(crate) const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
pub(crate) const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// A running gateway and the Bedrock emulator behind it.
pub(crate) struct BedrockHarness {
    pub(crate) mock: BedrockMock,
    addr: std::net::SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

/// An inference profile named by its ARN.
const PROFILE_ARN: &str =
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0";

/// The configuration the tests start from: one `bedrock` provider with static keys, chat
/// models by model id, inference-profile id and ARN, and two embedding models.
pub(crate) fn config(base_url: &str) -> Value {
    json!({
        "providers": [{"key": "aws", "type": "bedrock", "region": "us-east-1",
                       "base_url": base_url, "timeout_ms": 2000,
                       "aws_access_key_id": ACCESS_KEY_ID,
                       "aws_secret_access_key": SECRET_ACCESS_KEY}],
        "models": [
            {"key": "nova", "type": "amazon.nova-lite-v1:0", "provider": "aws"},
            {"key": "haiku", "type": "us.anthropic.claude-3-haiku-20240307-v1:0",
             "provider": "aws"},
            {"key": "profile", "type": PROFILE_ARN, "provider": "aws"},
            {"key": "titan", "type": "amazon.titan-embed-text-v2:0", "provider": "aws"},
            {"key": "cohere", "type": "cohere.embed-english-v3", "provider": "aws"}
        ],
        "pipelines": [
            {"name": "default", "type": "chat", "plugins": [
                {"model-router": {"models": ["nova", "haiku", "profile"]}}]},
            {"name": "vectors", "type": "embeddings", "plugins": [
                {"model-router": {"models": ["titan", "cohere"]}}]}
        ]
    })
}

impl BedrockHarness {
    pub(crate) async fn start() -> BedrockHarness {
        BedrockHarness::start_with(BedrockMockConfig::default(), |_| {}).await
    }

    /// The gateway on [`config`] as `edit` changes it, before the emulator as `mock` says.
    pub(crate) async fn start_with(
        mock: BedrockMockConfig,
        edit: impl FnOnce(&mut Value),
    ) -> BedrockHarness {
        let mock = BedrockMock::start(mock).await.expect("the emulator starts");
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
        BedrockHarness {
            mock,
            addr,
            client: Client::builder(TokioExecutor::new()).build_http(),
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// POSTs JSON to `path` and reads the whole answer.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Reply {
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("http://{}{path}", self.addr))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("a request");
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .expect("the gateway answers");
            let (parts, body) = response.into_parts();
            let body = body.collect().await.expect("the body reads").to_bytes();
            Reply {
                status: parts.status,
                headers: parts.headers,
                body,
            }
        };
        tokio::time::timeout(Duration::from_secs(10), exchange)
            .await
            .expect("the gateway answers within 10 s")
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

/// A chat request for `model` saying `text`.
pub(crate) fn chat(model: &str, text: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": text}]})
}

pub(crate) fn weather_tool() -> Value {
    json!({"type": "function", "function": {"name": "get_weather",
        "description": "Weather by city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}})
}
