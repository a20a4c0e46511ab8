//! `hub-mock`: a provider's API emulated on a local port, to try the gateway without an API key.
//!
//! ```text
//! hub-mock --addr 127.0.0.1:8000 --latency-ms 50 --chunk-delay-ms 20
//! hub-mock --provider anthropic --addr 127.0.0.1:8001
//! ```
//!
//! It serves OpenAI's API unless `--provider` names another. Every flag has an environment
//! fallback (`HUB_MOCK_PROVIDER`, `HUB_MOCK_ADDR`, `HUB_MOCK_API_KEY`, `HUB_MOCK_LATENCY_MS`,
//! `HUB_MOCK_CHUNK_DELAY_MS`, `HUB_MOCK_MODELS`). Set `RUST_LOG=debug` to see one line per
//! request.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use hub_testkit::{
    AnthropicConfig, AnthropicMock, AzureMock, AzureMockConfig, BedrockMock, BedrockMockConfig,
    MockConfig, OpenAiMock, VertexMock, VertexMockConfig,
};
use tracing::info;
use tracing_subscriber::EnvFilter;

/// Serve a strict emulator of a provider's API with deterministic answers.
#[derive(Debug, Parser)]
#[command(name = "hub-mock", version)]
struct Args {
    /// The provider whose API is served.
    #[arg(long, env = "HUB_MOCK_PROVIDER", value_enum, default_value_t = Provider::Openai)]
    provider: Provider,

    /// Address to listen on.
    #[arg(long, env = "HUB_MOCK_ADDR", default_value = "127.0.0.1:8000")]
    addr: SocketAddr,

    /// The only API key accepted; without it any non-empty key is. Vertex AI without one takes
    /// only the access tokens it issues; Bedrock takes signatures by AWS's documentation
    /// example key besides.
    #[arg(long, env = "HUB_MOCK_API_KEY", hide_env_values = true)]
    api_key: Option<String>,

    /// Delay before every response head, in milliseconds.
    #[arg(long, env = "HUB_MOCK_LATENCY_MS", default_value_t = 0)]
    latency_ms: u64,

    /// Delay between two events (or eventstream frames) of a streamed response, in
    /// milliseconds.
    #[arg(long, env = "HUB_MOCK_CHUNK_DELAY_MS", default_value_t = 0)]
    chunk_delay_ms: u64,

    /// A model id to serve instead of the provider's default list (on Azure, a deployment of
    /// the same name); repeat, or separate with commas.
    #[arg(long = "model", env = "HUB_MOCK_MODELS", value_delimiter = ',')]
    models: Vec<String>,
}

impl Args {
    fn into_settings(self) -> Settings {
        Settings {
            addr: Some(self.addr),
            api_key: self.api_key,
            latency: Duration::from_millis(self.latency_ms),
            delay: Duration::from_millis(self.chunk_delay_ms),
            models: (!self.models.is_empty()).then_some(self.models),
        }
    }
}

/// The emulators `hub-mock` can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Provider {
    /// OpenAI's API, under `/v1`.
    Openai,
    /// Azure OpenAI's deployment URLs.
    Azure,
    /// Anthropic's Messages API.
    Anthropic,
    /// Vertex AI's model methods and the OAuth2 token endpoint beside them.
    Vertex,
    /// Bedrock Runtime's Converse and InvokeModel, behind SigV4 or a Bedrock API key.
    Bedrock,
}

/// What every emulator takes from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    addr: Option<SocketAddr>,
    api_key: Option<String>,
    latency: Duration,
    delay: Duration,
    /// `None` keeps the emulator's default list.
    models: Option<Vec<String>>,
}

impl Settings {
    fn openai(self) -> MockConfig {
        let defaults = MockConfig::default();
        MockConfig {
            addr: self.addr,
            api_key: self.api_key,
            latency: self.latency,
            stream_chunk_delay: self.delay,
            models: self.models.unwrap_or(defaults.models),
            ..defaults
        }
    }

    fn azure(self) -> AzureMockConfig {
        let defaults = AzureMockConfig::default();
        let deployments = self.models.map(|models| {
            let named = |model: String| (model.clone(), model);
            models.into_iter().map(named).collect()
        });
        AzureMockConfig {
            addr: self.addr,
            api_key: self.api_key,
            latency: self.latency,
            stream_chunk_delay: self.delay,
            deployments: deployments.unwrap_or(defaults.deployments),
            ..defaults
        }
    }

    fn anthropic(self) -> AnthropicConfig {
        let defaults = AnthropicConfig::default();
        AnthropicConfig {
            addr: self.addr,
            api_key: self.api_key,
            latency: self.latency,
            stream_chunk_delay: self.delay,
            models: self.models.unwrap_or(defaults.models),
            ..defaults
        }
    }

    fn vertex(self) -> VertexMockConfig {
        let defaults = VertexMockConfig::default();
        VertexMockConfig {
            addr: self.addr,
            api_key: self.api_key,
            latency: self.latency,
            stream_chunk_delay: self.delay,
            models: self.models.unwrap_or(defaults.models),
            ..defaults
        }
    }

    fn bedrock(self) -> BedrockMockConfig {
        let defaults = BedrockMockConfig::default();
        BedrockMockConfig {
            addr: self.addr,
            api_keys: self.api_key.into_iter().collect(),
            latency: self.latency,
            stream_frame_delay: self.delay,
            models: self.models.unwrap_or(defaults.models),
            ..defaults
        }
    }
}

/// The emulator running, whichever it is.
enum Mock {
    OpenAi(OpenAiMock),
    Azure(AzureMock),
    Anthropic(AnthropicMock),
    Vertex(VertexMock),
    Bedrock(BedrockMock),
}

impl Mock {
    async fn start(provider: Provider, settings: Settings) -> io::Result<Self> {
        Ok(match provider {
            Provider::Openai => Mock::OpenAi(OpenAiMock::start(settings.openai()).await?),
            Provider::Azure => Mock::Azure(AzureMock::start(settings.azure()).await?),
            Provider::Anthropic => {
                Mock::Anthropic(AnthropicMock::start(settings.anthropic()).await?)
            }
            Provider::Vertex => Mock::Vertex(VertexMock::start(settings.vertex()).await?),
            Provider::Bedrock => Mock::Bedrock(BedrockMock::start(settings.bedrock()).await?),
        })
    }

    /// What a client (or Hub's `base_url`) takes to reach the emulator.
    fn base_url(&self) -> String {
        match self {
            Mock::OpenAi(mock) => mock.base_url(),
            Mock::Azure(mock) => mock.base_url(),
            Mock::Anthropic(mock) => mock.base_url(),
            Mock::Vertex(mock) => mock.base_url(),
            Mock::Bedrock(mock) => mock.base_url(),
        }
    }

    async fn shutdown(self) {
        match self {
            Mock::OpenAi(mock) => mock.shutdown().await,
            Mock::Azure(mock) => mock.shutdown().await,
            Mock::Anthropic(mock) => mock.shutdown().await,
            Mock::Vertex(mock) => mock.shutdown().await,
            Mock::Bedrock(mock) => mock.shutdown().await,
        }
    }
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let args = Args::parse();
    let provider = args.provider;
    let key_required = args.api_key.is_some();
    let mock = Mock::start(provider, args.into_settings()).await?;
    info!(?provider, base_url = %mock.base_url(), key_required, "hub-mock listening");

    shutdown_signal().await?;
    info!("hub-mock shutting down");
    mock.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn shutdown_signal() -> io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};

    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn shutdown_signal() -> io::Result<()> {
    tokio::signal::ctrl_c().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(flags: &[&str]) -> (Provider, Settings) {
        let command_line = std::iter::once("hub-mock").chain(flags.iter().copied());
        let args = Args::try_parse_from(command_line).expect("the flags parse");
        (args.provider, args.into_settings())
    }

    #[test]
    fn without_a_provider_it_serves_openai_as_it_always_has() {
        let (provider, settings) = parse(&["--latency-ms", "50"]);

        assert_eq!(provider, Provider::Openai);
        let expected = MockConfig {
            addr: Some(SocketAddr::from(([127, 0, 0, 1], 8000))),
            latency: Duration::from_millis(50),
            ..MockConfig::default()
        };
        assert_eq!(settings.openai(), expected);
    }

    #[test]
    fn azure_names_each_deployment_after_its_model() {
        let (provider, settings) = parse(&["--provider", "azure", "--model", "gpt-4o,o3"]);

        assert_eq!(provider, Provider::Azure);
        let deployments = settings.azure().deployments;
        let expected = [("gpt-4o", "gpt-4o"), ("o3", "o3")]
            .map(|(name, model)| (name.to_owned(), model.to_owned()));
        assert_eq!(deployments, expected);
    }

    #[test]
    fn bedrock_takes_the_key_as_a_bedrock_api_key_beside_the_signing_key() {
        let flags = [
            "--provider",
            "bedrock",
            "--api-key",
            "k",
            "--chunk-delay-ms",
            "5",
        ];
        let (provider, settings) = parse(&flags);

        assert_eq!(provider, Provider::Bedrock);
        let config = settings.bedrock();
        assert_eq!(config.api_keys, ["k"]);
        assert_eq!(config.keys, BedrockMockConfig::default().keys);
        assert_eq!(config.stream_frame_delay, Duration::from_millis(5));
    }

    #[test]
    fn an_unknown_provider_is_refused() {
        let command_line = ["hub-mock", "--provider", "gemini"];
        assert!(Args::try_parse_from(command_line).is_err());
    }

    /// The raw response to `GET /nowhere`, which each API refuses in its own words.
    async fn get_nowhere(mock: &Mock) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let url = mock.base_url();
        let authority = url
            .trim_start_matches("http://")
            .trim_end_matches("/v1")
            .to_owned();
        let mut stream = tokio::net::TcpStream::connect(&authority)
            .await
            .expect("the emulator accepts connections");
        let request =
            format!("GET /nowhere HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("the request is sent");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .await
            .expect("the response is read");
        response
    }

    #[tokio::test]
    async fn each_provider_flag_serves_that_providers_api() {
        let providers = [
            (Provider::Openai, "Invalid URL (GET /nowhere)"),
            (Provider::Azure, "Resource not found"),
            (Provider::Anthropic, "not_found_error"),
            (Provider::Vertex, "The URL /nowhere was not found."),
            (Provider::Bedrock, "UnknownOperationException"),
        ];
        for (provider, refusal) in providers {
            let (_, settings) = parse(&["--addr", "127.0.0.1:0"]);
            let mock = Mock::start(provider, settings).await.expect("it starts");

            let response = get_nowhere(&mock).await;

            assert!(response.contains(refusal), "{provider:?}: {response}");
            mock.shutdown().await;
        }
    }
}
