//! Client access keys over real sockets: without the right `Authorization: Bearer` an API
//! request is refused as OpenAI refuses it, probes stay open, a key removed or disabled by a
//! reload stops working at once (and disabling every key closes the gateway, not opens it),
//! and no provider ever sees the client's key.

use http::{Method, StatusCode};
use hub_testkit::{
    AnthropicConfig, AnthropicMock, AzureMock, AzureMockConfig, BedrockMock, BedrockMockConfig,
    MockConfig, OpenAiMock, RecordedRequest, VertexMock, VertexMockConfig,
};
use serde_json::{Value, json};

use crate::common::{Harness, MOCK_KEY, Reply, chat, snapshot};

const CI_KEY: &str = "hub-ci-0123456789abcdef0123456789abcdef";
const TEAM_KEY: &str = "hub-team-fedcba9876543210fedcba9876543210";
/// SHA-256 of [`TEAM_KEY`], as `printf %s "$KEY" | sha256sum` prints it.
const TEAM_KEY_SHA256: &str = "064a90451040f9ae870434dfa9523541d866e9265d85e8f996c8a6dcc3db1055";

fn with_keys(config: &mut Value) {
    config["general"] = json!({"access_keys": [
        {"name": "ci", "key": CI_KEY},
        {"name": "team", "key_sha256": TEAM_KEY_SHA256}
    ]});
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

async fn chat_as(hub: &Harness, authorization: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = authorization
        .map(|value| vec![("authorization", value)])
        .unwrap_or_default();
    hub.post_with("/v1/chat/completions", &headers, &chat("chat-model", "hi"))
        .await
}

/// OpenAI's answer to a missing or wrong key: 401, `invalid_request_error`,
/// `invalid_api_key`, and a message that does not repeat what was sent.
fn assert_refused(reply: &Reply, sent: &str) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{:?}", reply.body);
    assert_eq!(reply.headers["www-authenticate"], "Bearer");
    let error = reply.error();
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["code"], "invalid_api_key");
    assert_eq!(error["param"], Value::Null);
    let body = String::from_utf8_lossy(&reply.body);
    assert!(sent.is_empty() || !body.contains(sent), "{body}");
}

#[test]
fn team_key_sha256_is_the_digest_of_team_key() {
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(TEAM_KEY.as_bytes())),
        TEAM_KEY_SHA256
    );
}

#[tokio::test]
async fn a_request_without_a_key_or_with_a_wrong_one_is_refused() {
    let hub = Harness::start_with(MockConfig::default(), with_keys).await;

    assert_refused(&chat_as(&hub, None).await, "");
    let wrong = "hub-ci-0123456789abcdef0123456789abcdeX";
    assert_refused(&chat_as(&hub, Some(&bearer(wrong))).await, wrong);
    assert_refused(&chat_as(&hub, Some(CI_KEY)).await, CI_KEY);
    assert_refused(
        &chat_as(&hub, Some(&format!("Basic {CI_KEY}"))).await,
        CI_KEY,
    );

    assert!(
        hub.mock.requests().is_empty(),
        "refused calls reach no provider"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_listed_key_is_served_whether_given_in_full_or_as_a_digest() {
    let hub = Harness::start_with(MockConfig::default(), with_keys).await;

    for key in [CI_KEY, TEAM_KEY] {
        let reply = chat_as(&hub, Some(&bearer(key))).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    }
    hub.stop().await;
}

#[tokio::test]
async fn probes_stay_open_and_every_other_path_needs_a_key() {
    let hub = Harness::start_with(MockConfig::default(), with_keys).await;

    for path in ["/health", "/metrics"] {
        let reply = hub.call(Method::GET, path, &[], "").await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
    }
    for path in [
        "/v1/models",
        "/api/v1/models/chat-model",
        "/v1/unknown",
        "/admin",
    ] {
        let reply = hub.call(Method::GET, path, &[], "").await;
        assert_refused(&reply, "");
    }

    let authorized = bearer(CI_KEY);
    let headers = [("authorization", authorized.as_str())];
    let models = hub.call(Method::GET, "/v1/models", &headers, "").await;
    assert_eq!(models.status, StatusCode::OK);
    let unknown = hub.call(Method::GET, "/v1/unknown", &headers, "").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    hub.stop().await;
}

#[tokio::test]
async fn a_key_removed_or_disabled_by_a_reload_stops_working_at_once() {
    let hub = Harness::start_with(MockConfig::default(), with_keys).await;
    assert_eq!(
        chat_as(&hub, Some(&bearer(CI_KEY))).await.status,
        StatusCode::OK
    );

    hub.gateway.reload(snapshot(&hub.mock, |config| {
        config["general"] = json!({"access_keys": [
            {"name": "team", "key_sha256": TEAM_KEY_SHA256}
        ]});
    }));

    assert_refused(&chat_as(&hub, Some(&bearer(CI_KEY))).await, CI_KEY);
    let team = chat_as(&hub, Some(&bearer(TEAM_KEY))).await;
    assert_eq!(team.status, StatusCode::OK);

    hub.gateway.reload(snapshot(&hub.mock, |config| {
        config["general"] = json!({"access_keys": [
            {"name": "team", "key_sha256": TEAM_KEY_SHA256, "enabled": false}
        ]});
    }));
    assert_refused(&chat_as(&hub, Some(&bearer(TEAM_KEY))).await, TEAM_KEY);
    assert_refused(&chat_as(&hub, None).await, "");

    hub.gateway.reload(snapshot(&hub.mock, |_| {}));
    assert_eq!(chat_as(&hub, None).await.status, StatusCode::OK);
    hub.stop().await;
}

/// One emulator of each provider type.
struct Upstreams {
    openai: OpenAiMock,
    azure: AzureMock,
    anthropic: AnthropicMock,
    vertex: VertexMock,
    bedrock: BedrockMock,
}

impl Upstreams {
    async fn start() -> Upstreams {
        Upstreams {
            openai: OpenAiMock::start(MockConfig {
                api_key: Some(MOCK_KEY.to_owned()),
                ..MockConfig::default()
            })
            .await
            .expect("the OpenAI emulator starts"),
            azure: AzureMock::start(AzureMockConfig::default())
                .await
                .expect("the Azure emulator starts"),
            anthropic: AnthropicMock::start(AnthropicConfig::default())
                .await
                .expect("the Anthropic emulator starts"),
            vertex: VertexMock::start(VertexMockConfig::default())
                .await
                .expect("the Vertex emulator starts"),
            bedrock: BedrockMock::start(BedrockMockConfig::default())
                .await
                .expect("the Bedrock emulator starts"),
        }
    }

    /// A model on each emulator, with the provider's own credentials.
    fn config(&self) -> Value {
        json!({
            "general": {"access_keys": [{"name": "ci", "key": CI_KEY}]},
            "providers": [
                {"key": "openai", "type": "openai", "api_key": MOCK_KEY,
                 "base_url": self.openai.base_url()},
                {"key": "azure", "type": "azure", "api_key": "azure-upstream-key",
                 "base_url": self.azure.base_url(), "api_version": "2024-10-21"},
                {"key": "anthropic", "type": "anthropic", "api_key": "sk-ant-upstream",
                 "base_url": self.anthropic.base_url()},
                {"key": "vertex", "type": "vertexai", "base_url": self.vertex.base_url(),
                 "project_id": "hub-test-project", "location": "us-central1",
                 "credentials_json": self.vertex.service_account_json()},
                {"key": "bedrock", "type": "bedrock", "region": "us-east-1",
                 "base_url": self.bedrock.base_url(),
                 "aws_access_key_id": "AKIDEXAMPLE",
                 "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
            ],
            "models": [
                {"key": "openai", "type": "gpt-4o", "provider": "openai"},
                {"key": "azure", "type": "gpt-4o", "provider": "azure", "deployment": "gpt-4o"},
                {"key": "anthropic", "type": "claude-sonnet-4-5", "provider": "anthropic"},
                {"key": "vertex", "type": "gemini-2.5-flash", "provider": "vertex"},
                {"key": "bedrock", "type": "amazon.nova-lite-v1:0", "provider": "bedrock"}
            ],
            "pipelines": [{"name": "default", "type": "chat", "plugins": [
                {"model-router": {"models": ["openai", "azure", "anthropic", "vertex",
                                              "bedrock"]}}]}]
        })
    }

    fn requests(&self) -> Vec<(&'static str, RecordedRequest)> {
        let of = |name: &'static str, requests: Vec<RecordedRequest>| {
            requests.into_iter().map(move |request| (name, request))
        };
        of("openai", self.openai.requests())
            .chain(of("azure", self.azure.requests()))
            .chain(of("anthropic", self.anthropic.requests()))
            .chain(of("vertex", self.vertex.requests()))
            .chain(of("bedrock", self.bedrock.requests()))
            .collect()
    }
}

#[tokio::test]
async fn no_provider_receives_the_clients_key() {
    let upstreams = Upstreams::start().await;
    let config = upstreams.config();
    let hub = Harness::serve(upstreams, config).await;
    let authorization = bearer(CI_KEY);

    for model in ["openai", "azure", "anthropic", "vertex", "bedrock"] {
        let headers = [("authorization", authorization.as_str())];
        let reply = hub
            .post_with("/v1/chat/completions", &headers, &chat(model, "hi"))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{model}: {:?}", reply.body);
    }

    let requests = hub.mock.requests();
    let providers: Vec<&str> = requests.iter().map(|(name, _)| *name).collect();
    for provider in ["openai", "azure", "anthropic", "vertex", "bedrock"] {
        assert!(providers.contains(&provider), "{provider} was not called");
    }
    for (provider, request) in &requests {
        for (name, value) in &request.headers {
            assert!(
                !value.contains(CI_KEY),
                "{provider} received the key in {name}"
            );
        }
    }
    hub.stop().await;
}
