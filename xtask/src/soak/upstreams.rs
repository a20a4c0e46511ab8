//! The emulators the soaked gateway fronts, healthy and faulty, and its configuration.

use std::time::Duration;

use hub_testkit::{
    AnthropicConfig, AnthropicMock, BedrockMock, BedrockMockConfig, Fault, MockConfig, OpenAiMock,
};
use serde_json::json;

/// Pace of healthy streams: each lasts a few hundred milliseconds, so many overlap.
const STREAM_PACING: Duration = Duration::from_millis(20);
/// Pace of the stream clients leave, slow enough that they leave mid-stream.
const SLOW_PACING: Duration = Duration::from_millis(200);
/// The call deadline of the providers that stall: short, so stalls end often.
const STALL_TIMEOUT_MS: u64 = 500;

/// One emulator, whichever API it speaks.
pub(super) enum Emulator {
    OpenAi(OpenAiMock),
    Anthropic(AnthropicMock),
    Bedrock(BedrockMock),
}

impl Emulator {
    fn base_url(&self) -> String {
        match self {
            Emulator::OpenAi(mock) => mock.base_url(),
            Emulator::Anthropic(mock) => mock.base_url(),
            Emulator::Bedrock(mock) => mock.base_url(),
        }
    }

    pub(super) fn open_connections(&self) -> usize {
        match self {
            Emulator::OpenAi(mock) => mock.open_connections(),
            Emulator::Anthropic(mock) => mock.open_connections(),
            Emulator::Bedrock(mock) => mock.open_connections(),
        }
    }
}

/// An emulator and how the gateway reaches it: a provider and a model, both named `name`.
pub(super) struct Upstream {
    pub(super) name: &'static str,
    pub(super) emulator: Emulator,
    /// Whether its answers are whole, so the gateway may keep its connections pooled.
    pub(super) poolable: bool,
}

/// Every emulator of the soak.
pub(super) async fn start() -> anyhow::Result<Vec<Upstream>> {
    let paced = MockConfig {
        stream_chunk_delay: STREAM_PACING,
        ..MockConfig::default()
    };
    let openai = |fault: Option<Fault>, config: MockConfig| async move {
        let mock = OpenAiMock::start(config).await?;
        mock.set_fault(fault);
        anyhow::Ok(Emulator::OpenAi(mock))
    };
    let upstream = |name, emulator, poolable| Upstream {
        name,
        emulator,
        poolable,
    };

    let anthropic = AnthropicMock::start(AnthropicConfig {
        stream_chunk_delay: STREAM_PACING,
        ..AnthropicConfig::default()
    })
    .await?;
    let bedrock = BedrockMock::start(BedrockMockConfig {
        stream_frame_delay: STREAM_PACING,
        ..BedrockMockConfig::default()
    })
    .await?;
    let slow = MockConfig {
        stream_chunk_delay: SLOW_PACING,
        ..MockConfig::default()
    };
    let server_error = Fault::Status {
        status: 500,
        body: json!({"error": {"message": "boom", "type": "server_error",
                               "param": null, "code": null}}),
        retry_after: None,
    };

    Ok(vec![
        upstream("openai", openai(None, paced.clone()).await?, true),
        upstream("anthropic", Emulator::Anthropic(anthropic), true),
        upstream("bedrock", Emulator::Bedrock(bedrock), true),
        upstream("slow", openai(None, slow).await?, true),
        upstream(
            "failing",
            openai(Some(server_error), paced.clone()).await?,
            true,
        ),
        upstream(
            "resetting",
            openai(Some(Fault::ResetBeforeResponse), paced.clone()).await?,
            false,
        ),
        upstream(
            "stalling",
            openai(Some(Fault::Stall), paced.clone()).await?,
            false,
        ),
        upstream(
            "stream-stalling",
            openai(Some(Fault::StallStream { after_events: 3 }), paced.clone()).await?,
            false,
        ),
        upstream(
            "cutting",
            openai(Some(Fault::CutMidEvent { after_events: 3 }), paced).await?,
            false,
        ),
    ])
}

/// The gateway's configuration: one provider and one model per emulator, all in the default
/// chat pipeline, without retries (the default) or ejection, so every fault reaches a client.
pub(super) fn config(upstreams: &[Upstream]) -> String {
    let mut providers = String::new();
    let mut models = String::new();
    for upstream in upstreams {
        let name = upstream.name;
        let base_url = upstream.emulator.base_url();
        let provider = match &upstream.emulator {
            Emulator::OpenAi(_) => format!("type: openai, api_key: soak, base_url: \"{base_url}\""),
            Emulator::Anthropic(_) => {
                format!("type: anthropic, api_key: soak, base_url: \"{base_url}\"")
            }
            Emulator::Bedrock(_) => format!(
                "type: bedrock, region: us-east-1, base_url: \"{base_url}\", \
                 aws_access_key_id: AKIDEXAMPLE, \
                 aws_secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
            ),
        };
        let model = match &upstream.emulator {
            Emulator::OpenAi(_) => "gpt-4o",
            Emulator::Anthropic(_) => "claude-haiku-4-5",
            Emulator::Bedrock(_) => "amazon.nova-lite-v1:0",
        };
        providers.push_str(&format!(
            "  - {{ key: {name}, {provider}, timeout_ms: {STALL_TIMEOUT_MS} }}\n"
        ));
        models.push_str(&format!(
            "  - {{ key: {name}, type: \"{model}\", provider: {name} }}\n"
        ));
    }
    let names: Vec<&str> = upstreams.iter().map(|upstream| upstream.name).collect();
    format!(
        "providers:\n{providers}models:\n{models}pipelines:\n  - name: default\n    type: chat\n    \
         plugins:\n      - model-router: {{ models: [{}], ejection: {{ consecutive_failures: 0 }} }}\n",
        names.join(", ")
    )
}
