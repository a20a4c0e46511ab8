//! One face over the gateway in front of each provider type's emulator, each of whose wire
//! formats breaks in its own way: OpenAI's and Azure's `data:` lines, Anthropic's named
//! events, Vertex AI's `data:` lines of another shape, Bedrock's eventstream frames.

use std::time::Duration;

use hub_testkit::{
    AnthropicConfig, AzureMock, AzureMockConfig, BedrockFault, BedrockMockConfig, Fault,
    MockConfig, VertexMock, VertexMockConfig,
};
use serde_json::{Value, json};

use crate::anthropic::harness::Claude;
use crate::bedrock::harness::BedrockHarness;
use crate::common::{Harness, Reply};

/// Every provider type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provider {
    OpenAi,
    Azure,
    Anthropic,
    Vertex,
    Bedrock,
}

pub(crate) const PROVIDERS: [Provider; 5] = [
    Provider::OpenAi,
    Provider::Azure,
    Provider::Anthropic,
    Provider::Vertex,
    Provider::Bedrock,
];

const AZURE_KEY: &str = "azure-upstream-key";

/// Events (or frames) an answer sends before a stream fault strikes: enough for the
/// response head to have left the gateway, whatever the format.
const EVENTS_BEFORE_FAULT: usize = 3;

/// A fault each emulator plays in its own format.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Misbehaviour {
    /// A few events, then half of the next, then the connection closes.
    CutMidEvent,
    /// A few events, then silence on an open connection.
    StallMidStream,
    /// Valid events forever.
    EndlessStream,
    /// An event (an SSE line, a frame) that never ends.
    EndlessEvent,
    /// An HTML page with this status.
    NotJson(u16),
    /// A `200` body of this many bytes.
    Oversized(u64),
}

enum Hub {
    OpenAi(Harness),
    Azure(Harness<AzureMock>),
    Anthropic(Claude),
    Vertex(Harness<VertexMock>),
    Bedrock(BedrockHarness),
}

/// A gateway in front of one emulator.
pub(crate) struct Upstream {
    pub(crate) provider: Provider,
    hub: Hub,
}

impl Upstream {
    /// The gateway configured as `edit` says (the emulator's provider is
    /// `providers[0]`), before an emulator pacing its bodies `delay` apart.
    pub(crate) async fn start(
        provider: Provider,
        delay: Duration,
        edit: impl FnOnce(&mut Value),
    ) -> Upstream {
        let hub = match provider {
            Provider::OpenAi => {
                let mock = MockConfig {
                    stream_chunk_delay: delay,
                    ..MockConfig::default()
                };
                Hub::OpenAi(Harness::start_with(mock, edit).await)
            }
            Provider::Azure => {
                let mock = AzureMock::start(AzureMockConfig {
                    api_key: Some(AZURE_KEY.to_owned()),
                    stream_chunk_delay: delay,
                    ..AzureMockConfig::default()
                })
                .await
                .expect("the emulator starts");
                let mut config =
                    crate::azure::config(&mock.base_url(), json!({"api_key": AZURE_KEY}));
                edit(&mut config);
                Hub::Azure(Harness::serve(mock, config).await)
            }
            Provider::Vertex => {
                let mock = VertexMock::start(VertexMockConfig {
                    stream_chunk_delay: delay,
                    ..VertexMockConfig::default()
                })
                .await
                .expect("the emulator starts");
                let credentials = json!({"credentials_json": mock.service_account_json()});
                let mut config = crate::vertex::config(&mock, credentials);
                edit(&mut config);
                Hub::Vertex(Harness::serve(mock, config).await)
            }
            Provider::Anthropic => {
                let mock = AnthropicConfig {
                    stream_chunk_delay: delay,
                    ..AnthropicConfig::default()
                };
                Hub::Anthropic(Claude::start_before(mock, edit).await)
            }
            Provider::Bedrock => {
                let mock = BedrockMockConfig {
                    stream_frame_delay: delay,
                    ..BedrockMockConfig::default()
                };
                Hub::Bedrock(BedrockHarness::start_with(mock, edit).await)
            }
        };
        Upstream { provider, hub }
    }

    /// The provider's key, which starts every error message about it.
    pub(crate) fn name(&self) -> &'static str {
        match self.provider {
            Provider::OpenAi => "mock-openai",
            Provider::Azure => "azure",
            Provider::Anthropic => "anthropic",
            Provider::Vertex => "vertex",
            Provider::Bedrock => "aws",
        }
    }

    /// Makes the emulator misbehave on every later request.
    pub(crate) fn set(&self, misbehaviour: Misbehaviour) {
        match &self.hub {
            Hub::OpenAi(hub) => hub.mock.set_fault(Some(shared_fault(misbehaviour))),
            Hub::Azure(hub) => hub.mock.set_fault(Some(shared_fault(misbehaviour))),
            Hub::Anthropic(hub) => hub.mock.set_fault(Some(shared_fault(misbehaviour))),
            Hub::Vertex(hub) => hub.mock.set_fault(Some(shared_fault(misbehaviour))),
            Hub::Bedrock(hub) => hub.mock.set_fault(Some(bedrock_fault(misbehaviour))),
        }
    }

    /// A chat call of a few words, streamed or not.
    pub(crate) async fn chat(&self, stream: bool) -> Reply {
        let model = match self.provider {
            Provider::OpenAi => "mini",
            Provider::Azure => "gpt",
            Provider::Anthropic => "claude",
            Provider::Vertex => "gemini",
            Provider::Bedrock => "nova",
        };
        let body = json!({"model": model, "stream": stream, "messages": [
            {"role": "user", "content": "one two three four five six seven eight"}]});
        match &self.hub {
            Hub::OpenAi(hub) => hub.post("/v1/chat/completions", &body).await,
            Hub::Azure(hub) => hub.post("/v1/chat/completions", &body).await,
            Hub::Anthropic(hub) => hub.chat(&body).await,
            Hub::Vertex(hub) => hub.post("/v1/chat/completions", &body).await,
            Hub::Bedrock(hub) => hub.post("/v1/chat/completions", &body).await,
        }
    }

    /// Waits until the emulator holds at most `limit` connections from the gateway: none
    /// once a broken answer was dropped, one kept alive in the pool after a whole one.
    pub(crate) async fn settles(&self, limit: usize) {
        for _ in 0..100 {
            if self.open_connections() <= limit {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{:?}: the gateway still holds {} upstream connections after 5 s",
            self.provider,
            self.open_connections()
        );
    }

    fn open_connections(&self) -> usize {
        match &self.hub {
            Hub::OpenAi(hub) => hub.mock.open_connections(),
            Hub::Azure(hub) => hub.mock.open_connections(),
            Hub::Anthropic(hub) => hub.mock.open_connections(),
            Hub::Vertex(hub) => hub.mock.open_connections(),
            Hub::Bedrock(hub) => hub.mock.open_connections(),
        }
    }

    pub(crate) async fn stop(self) {
        match self.hub {
            Hub::OpenAi(hub) => hub.stop().await,
            Hub::Azure(hub) => hub.stop().await,
            Hub::Anthropic(hub) => hub.stop().await,
            Hub::Vertex(hub) => hub.stop().await,
            Hub::Bedrock(hub) => hub.stop().await,
        }
    }
}

fn shared_fault(misbehaviour: Misbehaviour) -> Fault {
    let after_events = EVENTS_BEFORE_FAULT;
    match misbehaviour {
        Misbehaviour::CutMidEvent => Fault::CutMidEvent { after_events },
        Misbehaviour::StallMidStream => Fault::StallStream { after_events },
        Misbehaviour::EndlessStream => Fault::EndlessStream,
        Misbehaviour::EndlessEvent => Fault::EndlessLine,
        Misbehaviour::NotJson(status) => Fault::NotJson { status },
        Misbehaviour::Oversized(bytes) => Fault::Oversized { bytes },
    }
}

fn bedrock_fault(misbehaviour: Misbehaviour) -> BedrockFault {
    let after_events = EVENTS_BEFORE_FAULT;
    match misbehaviour {
        Misbehaviour::CutMidEvent => BedrockFault::CutMidFrame { after_events },
        Misbehaviour::StallMidStream => BedrockFault::StallStream { after_events },
        Misbehaviour::EndlessStream => BedrockFault::EndlessStream,
        Misbehaviour::EndlessEvent => BedrockFault::EndlessFrame,
        Misbehaviour::NotJson(status) => BedrockFault::NotJson { status },
        Misbehaviour::Oversized(bytes) => BedrockFault::Oversized { bytes },
    }
}

/// The error event that ended a stream which had started: a `200`, some chunks, then one
/// OpenAI error object and no `[DONE]`.
pub(crate) fn stream_failure(reply: &Reply) -> Value {
    assert_eq!(reply.status, http::StatusCode::OK, "the head had gone");
    let events = reply.events();
    assert!(
        events.len() >= 2,
        "chunks came before the fault: {events:?}"
    );
    assert!(!events.contains(&"[DONE]".to_owned()), "{events:?}");
    for chunk in &events[..events.len() - 1] {
        let chunk: Value = serde_json::from_str(chunk).expect("chunks are JSON");
        assert!(
            chunk.get("error").is_none(),
            "one error event, last: {chunk}"
        );
    }
    let last: Value = serde_json::from_str(events.last().expect("an event")).expect("JSON");
    let error = last["error"].clone();
    for field in ["message", "type", "param", "code"] {
        assert!(error.get(field).is_some(), "OpenAI's error shape: {last}");
    }
    error
}

/// The error's message.
pub(crate) fn message(error: &Value) -> &str {
    error["message"].as_str().expect("a message")
}
