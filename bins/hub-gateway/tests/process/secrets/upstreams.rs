//! The emulators of every provider, each quoting refused credentials back whole, the gateway
//! configuration that reaches them with right and wrong credentials, and the faults that
//! make them fail in every way the gateway must survive without a leak.

use std::path::Path;

use hub_testkit::{
    AnthropicConfig, AnthropicMock, AwsKey, AzureMock, AzureMockConfig, BedrockFault, BedrockMock,
    BedrockMockConfig, Fault, MockConfig, OpenAiMock, StreamError, VertexMock, VertexMockConfig,
};
use serde_json::{Value, json};

use super::markers::*;

/// A provider the gateway is configured with: its key, the model it serves for chat,
/// whether it holds the right credentials, and whether faults are driven through it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Route {
    pub(crate) provider: &'static str,
    pub(crate) model_type: &'static str,
    pub(crate) accepted: bool,
    /// An upstream can only quote the credential it was sent, so faults, whose bodies quote
    /// one credential per emulator, go through the provider that sends that one.
    pub(crate) faulted: bool,
}

/// Every chat route. Model keys are the provider keys.
pub(crate) const ROUTES: [Route; 14] = [
    route("openai", "gpt-4o", true, true),
    route("openai-wrong", "gpt-4o", false, false),
    route("anthropic", "claude-haiku-4-5", true, true),
    route("anthropic-wrong", "claude-haiku-4-5", false, false),
    route("azure", "gpt-4o", true, true),
    route("azure-key", "gpt-4o", true, false),
    route("azure-wrong-key", "gpt-4o", false, false),
    route("azure-wrong-token", "gpt-4o", false, false),
    route("vertex", "gemini-2.5-flash", true, false),
    route("vertex-key", "gemini-2.5-flash", true, true),
    route("vertex-wrong-key", "gemini-2.5-flash", false, false),
    route("vertex-wrong-token", "gemini-2.5-flash", false, false),
    route("bedrock", "amazon.nova-lite-v1:0", true, true),
    route("bedrock-wrong", "amazon.nova-lite-v1:0", false, false),
];

const fn route(
    provider: &'static str,
    model_type: &'static str,
    accepted: bool,
    faulted: bool,
) -> Route {
    Route {
        provider,
        model_type,
        accepted,
        faulted,
    }
}

/// Embedding models, as (model key, provider, model type).
pub(crate) const EMBEDDINGS: [(&str, &str, &str); 5] = [
    ("openai-embed", "openai", "text-embedding-3-small"),
    (
        "openai-wrong-embed",
        "openai-wrong",
        "text-embedding-3-small",
    ),
    ("azure-embed", "azure", "text-embedding-3-small"),
    ("vertex-embed", "vertex", "text-embedding-005"),
    ("bedrock-embed", "bedrock", "amazon.titan-embed-text-v2:0"),
];

/// Legacy completion models, as (model key, provider, model type).
pub(crate) const COMPLETIONS: [(&str, &str, &str); 2] = [
    ("openai-instruct", "openai", "gpt-3.5-turbo-instruct"),
    ("azure-instruct", "azure", "gpt-3.5-turbo-instruct"),
];

/// How each provider misbehaves in one phase of the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// 429 whose body quotes the credential and the prompt.
    RateLimited,
    /// 500 whose body quotes the credential and the prompt.
    ServerError,
    /// A body that is not the API's format.
    Malformed,
    /// The connection closes before the answer.
    Reset,
    /// Streams break off after a few events.
    CutStream,
    /// Streams end with an error event that quotes the credential and the prompt.
    StreamError,
    /// No answer: the gateway's timeout ends the call.
    Stall,
}

pub(crate) const PHASES: [Phase; 7] = [
    Phase::RateLimited,
    Phase::ServerError,
    Phase::Malformed,
    Phase::Reset,
    Phase::CutStream,
    Phase::StreamError,
    Phase::Stall,
];

/// The running emulators.
pub(crate) struct Upstreams {
    pub(crate) openai: OpenAiMock,
    pub(crate) anthropic: AnthropicMock,
    pub(crate) azure: AzureMock,
    pub(crate) vertex: VertexMock,
    /// A second Vertex that knows none of the first one's tokens.
    pub(crate) vertex_elsewhere: VertexMock,
    pub(crate) bedrock: BedrockMock,
}

impl Upstreams {
    pub(crate) async fn start() -> Upstreams {
        let openai = OpenAiMock::start(MockConfig {
            api_key: Some(OPENAI_KEY.to_owned()),
            echo_credentials: true,
            ..MockConfig::default()
        });
        let anthropic = AnthropicMock::start(AnthropicConfig {
            api_key: Some(ANTHROPIC_KEY.to_owned()),
            echo_credentials: true,
            ..AnthropicConfig::default()
        });
        let azure = AzureMock::start(AzureMockConfig {
            api_key: Some(AZURE_KEY.to_owned()),
            ad_token: Some(AZURE_AD_TOKEN.to_owned()),
            echo_credentials: true,
            ..AzureMockConfig::default()
        });
        let vertex = |api_key: Option<&str>| {
            VertexMock::start(VertexMockConfig {
                api_key: api_key.map(str::to_owned),
                echo_credentials: true,
                ..VertexMockConfig::default()
            })
        };
        let bedrock = BedrockMock::start(BedrockMockConfig {
            keys: vec![AwsKey::new(AWS_KEY_ID, AWS_SECRET).with_session_token(AWS_SESSION_TOKEN)],
            echo_credentials: true,
            ..BedrockMockConfig::default()
        });
        Upstreams {
            openai: openai.await.expect("the OpenAI emulator starts"),
            anthropic: anthropic.await.expect("the Anthropic emulator starts"),
            azure: azure.await.expect("the Azure emulator starts"),
            vertex: vertex(Some(VERTEX_API_KEY)).await.expect("Vertex starts"),
            vertex_elsewhere: vertex(None).await.expect("another Vertex starts"),
            bedrock: bedrock.await.expect("the Bedrock emulator starts"),
        }
    }

    /// Writes the service-account key file into `dir` and returns the configuration.
    pub(crate) fn config(&self, dir: &Path, collector: &str) -> String {
        let key_file = dir.join("service-account.json");
        std::fs::write(&key_file, self.vertex.service_account_json()).expect("the key file");
        let key_file = key_file.display();

        let providers = format!(
            r#"
  - {{ key: openai, type: openai, api_key: {OPENAI_KEY}, {openai} }}
  - {{ key: openai-wrong, type: openai, api_key: {OPENAI_WRONG_KEY}, {openai} }}
  - {{ key: anthropic, type: anthropic, api_key: {ANTHROPIC_KEY}, {anthropic} }}
  - {{ key: anthropic-wrong, type: anthropic, api_key: {ANTHROPIC_WRONG_KEY}, {anthropic} }}
  - {{ key: azure, type: azure, azure_ad_token: {AZURE_AD_TOKEN}, {azure} }}
  - {{ key: azure-key, type: azure, api_key: {AZURE_KEY}, {azure} }}
  - {{ key: azure-wrong-key, type: azure, api_key: {AZURE_WRONG_KEY}, {azure} }}
  - {{ key: azure-wrong-token, type: azure, azure_ad_token: {AZURE_WRONG_AD_TOKEN}, {azure} }}
  - {{ key: vertex, type: vertexai, credentials_path: "{key_file}", {vertex} }}
  - {{ key: vertex-key, type: vertexai, api_key: {VERTEX_API_KEY}, {vertex} }}
  - {{ key: vertex-wrong-key, type: vertexai, api_key: {VERTEX_WRONG_API_KEY}, {vertex} }}
  - {{ key: vertex-wrong-token, type: vertexai, credentials_path: "{key_file}", {elsewhere} }}
  - {{ key: bedrock, type: bedrock, {bedrock}, aws_access_key_id: {AWS_KEY_ID},
       aws_secret_access_key: "{AWS_SECRET}", aws_session_token: {AWS_SESSION_TOKEN} }}
  - {{ key: bedrock-wrong, type: bedrock, {bedrock}, aws_access_key_id: {AWS_WRONG_KEY_ID},
       aws_secret_access_key: "{AWS_WRONG_SECRET}",
       aws_session_token: {AWS_WRONG_SESSION_TOKEN} }}"#,
            openai = at(&self.openai.base_url()),
            anthropic = at(&self.anthropic.base_url()),
            azure = format!("{}, api_version: 2024-10-21", at(&self.azure.base_url())),
            vertex = vertex_settings(&self.vertex.base_url()),
            elsewhere = vertex_settings(&self.vertex_elsewhere.base_url()),
            bedrock = format!("region: us-east-1, {}", at(&self.bedrock.base_url())),
        );
        gateway_config(&providers, collector)
    }

    /// Makes every emulator misbehave as `phase` says.
    pub(crate) fn inject(&self, phase: Phase) {
        let fault = |credential: &str| generic_fault(phase, credential);
        self.openai.set_fault(fault(OPENAI_KEY));
        self.anthropic.set_fault(fault(ANTHROPIC_KEY));
        self.azure.set_fault(fault(AZURE_AD_TOKEN));
        self.vertex.set_fault(fault(VERTEX_API_KEY));
        self.bedrock.set_fault(bedrock_fault(phase));

        let stream_error = (phase == Phase::StreamError).then(|| StreamError {
            after_events: 2,
            kind: "overloaded_error".to_owned(),
            message: format!("Overloaded while serving key {ANTHROPIC_KEY}"),
        });
        self.anthropic.set_stream_error(stream_error);
    }

    /// Restores normal service everywhere.
    pub(crate) fn heal(&self) {
        self.openai.set_fault(None);
        self.anthropic.set_fault(None);
        self.anthropic.set_stream_error(None);
        self.azure.set_fault(None);
        self.vertex.set_fault(None);
        self.bedrock.set_fault(None);
    }
}

/// A provider's `base_url`, and a timeout short enough that stalls end the test quickly.
fn at(base_url: &str) -> String {
    format!("base_url: \"{base_url}\", timeout_ms: 1500")
}

fn vertex_settings(base_url: &str) -> String {
    format!(
        "{}, project_id: hub-test-project, location: us-central1",
        at(base_url)
    )
}

/// Every route in one chat pipeline, the embedding and completion models in theirs, each
/// traced to `collector` with the exporter's key, content tracing off.
fn gateway_config(providers: &str, collector: &str) -> String {
    let mut models = String::new();
    for route in ROUTES {
        let deployment = if route.provider.starts_with("azure") {
            format!(", deployment: {}", route.model_type)
        } else {
            String::new()
        };
        models.push_str(&format!(
            "\n  - {{ key: {0}, type: \"{1}\", provider: {0}{deployment} }}",
            route.provider, route.model_type
        ));
    }
    for (key, provider, model_type) in EMBEDDINGS.iter().chain(&COMPLETIONS) {
        let deployment = if provider.starts_with("azure") {
            let name = if key.ends_with("instruct") {
                "gpt-35-turbo-instruct"
            } else {
                model_type
            };
            format!(", deployment: {name}")
        } else {
            String::new()
        };
        models.push_str(&format!(
            "\n  - {{ key: {key}, type: \"{model_type}\", provider: {provider}{deployment} }}"
        ));
    }

    let keys = |names: Vec<&str>| names.join(", ");
    let chat = keys(ROUTES.iter().map(|route| route.provider).collect());
    let embeddings = keys(EMBEDDINGS.iter().map(|(key, _, _)| *key).collect());
    let completions = keys(COMPLETIONS.iter().map(|(key, _, _)| *key).collect());
    let plugins = |models: &str| {
        format!(
            r#"
      - logging: {{ level: trace }}
      - tracing: {{ endpoint: "{collector}", api_key: {TRACING_KEY} }}
      - model-router: {{ models: [{models}], ejection: {{ consecutive_failures: 0 }} }}"#
        )
    };
    format!(
        r#"
general:
  trace_content_enabled: false
providers:{providers}
models:{models}
pipelines:
  - name: default
    type: chat
    plugins:{chat}
  - name: embeddings
    type: embeddings
    plugins:{embeddings}
  - name: completions
    type: completion
    plugins:{completions}
"#,
        chat = plugins(&chat),
        embeddings = plugins(&embeddings),
        completions = plugins(&completions),
    )
}

/// An error body quoting `credential` and the prompt, in OpenAI's shape; the adapters that
/// expect another shape keep the text whole in their error, the worst case for a leak.
fn quoting(credential: &str) -> Value {
    json!({"error": {"message": format!("Request with key {credential} failed on {PROMPT}."),
                     "type": "server_error", "param": null, "code": credential}})
}

fn generic_fault(phase: Phase, credential: &str) -> Option<Fault> {
    let status = |status| Fault::Status {
        status,
        body: quoting(credential),
        retry_after: Some(1),
    };
    match phase {
        Phase::RateLimited => Some(status(429)),
        Phase::ServerError => Some(status(500)),
        Phase::Malformed => Some(Fault::InvalidJson),
        Phase::Reset => Some(Fault::ResetBeforeResponse),
        Phase::CutStream => Some(Fault::TruncateStream { after_chunks: 2 }),
        Phase::Stall => Some(Fault::Stall),
        Phase::StreamError => None,
    }
}

fn bedrock_fault(phase: Phase) -> Option<BedrockFault> {
    let message =
        format!("Request by {AWS_KEY_ID} with token {AWS_SESSION_TOKEN} failed on {PROMPT}.");
    let exception = |name: &str| BedrockFault::Exception {
        name: name.to_owned(),
        message: message.clone(),
    };
    match phase {
        Phase::RateLimited => Some(exception("ThrottlingException")),
        Phase::ServerError => Some(exception("InternalServerException")),
        Phase::Malformed => Some(BedrockFault::CorruptFrame { index: 1 }),
        Phase::Reset => Some(BedrockFault::ResetBeforeResponse),
        Phase::CutStream => Some(BedrockFault::TruncateStream { after_events: 2 }),
        Phase::StreamError => Some(BedrockFault::StreamException {
            after_events: 2,
            exception_type: "throttlingException".to_owned(),
            message,
        }),
        Phase::Stall => Some(BedrockFault::Stall),
    }
}
