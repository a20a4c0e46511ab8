//! The configuration model as plain data: what a `config.yaml` or the database describes.
//!
//! Loading, `${NAME}` expansion and validation live in `hub-config`; this module only
//! says what a configuration is. Field names are the ones users write, and are a contract.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A whole configuration: providers, the models they serve, and the pipelines that route
/// requests to those models.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    #[serde(default)]
    pub general: GeneralConfig,
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
    #[serde(default)]
    pub models: Vec<ModelConfig>,
    #[serde(default)]
    pub pipelines: Vec<PipelineConfig>,
}

/// Settings that apply to the whole gateway: content tracing, the limits that keep one
/// client from taking it down, and those that keep one upstream from doing so. Every limit
/// has a default generous enough for real LLM traffic; `docs/configuration.md` says why each
/// is safe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneralConfig {
    /// Whether prompts and completions may be recorded in traces. Off by default: content
    /// leaves the gateway only when an operator asks for it.
    pub trace_content_enabled: bool,
    /// The largest request body the gateway reads; a larger one is refused with 413.
    pub max_request_body_bytes: u64,
    /// The keys clients must present as `Authorization: Bearer <key>`. Empty: the gateway
    /// serves any client that reaches it; with entries, only a client bearing an enabled one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_keys: Vec<AccessKeyConfig>,
    /// The largest request head (request line and headers) a connection reads; a larger one
    /// is refused with 431.
    pub max_header_bytes: u64,
    /// The most header fields an HTTP/1.1 request may carry; more are refused with 431.
    pub max_headers: u32,
    /// The most messages a chat request may hold; more are refused with 400.
    pub max_messages: u32,
    /// The most items an embeddings `input` or a completions `prompt` list may hold; more
    /// are refused with 400.
    pub max_input_items: u32,
    /// The most client connections open at once; a connection beyond is closed at once.
    pub max_connections: u32,
    /// The most requests served at once, streams until their end; one beyond is refused
    /// with 503 at once. Health and metrics requests do not count.
    pub max_concurrent_requests: u32,
    /// The most request-body bytes held in memory at once, over every request; a body that
    /// would take more is refused with 503 at once. At least `max_request_body_bytes`.
    pub max_buffered_body_bytes: u64,
    /// How long a client may take to send a request's head; the connection is then closed.
    pub header_read_timeout_ms: u64,
    /// How long a client may take to send a request's body, from its head on; 408 after.
    pub request_body_timeout_ms: u64,
    /// How long a connection may stay open with no request in flight.
    pub idle_timeout_ms: u64,
    /// The most streams an HTTP/2 client may open at once on one connection.
    pub http2_max_concurrent_streams: u32,
    /// The largest non-streamed upstream response body the gateway reads; a larger one is a
    /// 502, and reading stops at the limit.
    pub max_upstream_response_bytes: u64,
    /// The largest single event of an upstream stream (an SSE event, a Bedrock frame); a
    /// larger one ends the stream with an error, so a line that never ends cannot grow a
    /// buffer.
    pub max_upstream_event_bytes: u64,
    /// The most bytes one upstream stream may carry before the gateway ends it.
    pub max_upstream_stream_bytes: u64,
    /// The longest one upstream stream may run before the gateway ends it, however steadily
    /// its events arrive.
    pub max_upstream_stream_seconds: u64,
}

/// 32 MiB: room for several base64 images in one chat request.
pub const DEFAULT_MAX_REQUEST_BODY_BYTES: u64 = 32 * 1024 * 1024;
/// 64 KiB: four times what most servers accept, room for large tokens and trace baggage.
pub const DEFAULT_MAX_HEADER_BYTES: u64 = 64 * 1024;
/// 100: hyper's own default; an SDK sends about fifteen.
pub const DEFAULT_MAX_HEADERS: u32 = 100;
/// 10,000: more than a conversation that fits any model's context window holds.
pub const DEFAULT_MAX_MESSAGES: u32 = 10_000;
/// 2,048: the most inputs OpenAI's embeddings endpoint takes in one request.
pub const DEFAULT_MAX_INPUT_ITEMS: u32 = 2_048;
/// 4,096: many idle keep-alive connections from client pools, within a raised `nofile` limit.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 4_096;
/// 2,048: twice the 1,000 open streams the gateway is measured with.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: u32 = 2_048;
/// 1 GiB: 2,048 requests of half a MiB at once, or 32 bodies at the default size limit.
pub const DEFAULT_MAX_BUFFERED_BODY_BYTES: u64 = 1024 * 1024 * 1024;
/// 75 s: above the 60 s idle timeout of common load balancers, which matters because an idle
/// HTTP/1.1 connection waits for its next request head under this timeout.
pub const DEFAULT_HEADER_READ_TIMEOUT_MS: u64 = 75_000;
/// 60 s: a full 32 MiB body at about 4.5 Mbit/s.
pub const DEFAULT_REQUEST_BODY_TIMEOUT_MS: u64 = 60_000;
/// 75 s: above the 60 s idle timeout of common load balancers, so they close first.
pub const DEFAULT_IDLE_TIMEOUT_MS: u64 = 75_000;
/// 200: hyper's own default, and the order of most servers'.
pub const DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS: u32 = 200;
/// 64 MiB: far above any chat or embeddings answer, small enough to hold a few at once.
pub const DEFAULT_MAX_UPSTREAM_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// 16 MiB: room for an image a model returns inline in one event.
pub const DEFAULT_MAX_UPSTREAM_EVENT_BYTES: u64 = 16 * 1024 * 1024;
/// 256 MiB: a long answer's stream is tens of MiB at most.
pub const DEFAULT_MAX_UPSTREAM_STREAM_BYTES: u64 = 256 * 1024 * 1024;
/// One hour: longer than any answer a model streams, short enough to end a trickle.
pub const DEFAULT_MAX_UPSTREAM_STREAM_SECONDS: u64 = 3600;

impl Default for GeneralConfig {
    fn default() -> Self {
        GeneralConfig {
            trace_content_enabled: false,
            max_request_body_bytes: DEFAULT_MAX_REQUEST_BODY_BYTES,
            access_keys: Vec::new(),
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
            max_messages: DEFAULT_MAX_MESSAGES,
            max_input_items: DEFAULT_MAX_INPUT_ITEMS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            max_buffered_body_bytes: DEFAULT_MAX_BUFFERED_BODY_BYTES,
            header_read_timeout_ms: DEFAULT_HEADER_READ_TIMEOUT_MS,
            request_body_timeout_ms: DEFAULT_REQUEST_BODY_TIMEOUT_MS,
            idle_timeout_ms: DEFAULT_IDLE_TIMEOUT_MS,
            http2_max_concurrent_streams: DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS,
            max_upstream_response_bytes: DEFAULT_MAX_UPSTREAM_RESPONSE_BYTES,
            max_upstream_event_bytes: DEFAULT_MAX_UPSTREAM_EVENT_BYTES,
            max_upstream_stream_bytes: DEFAULT_MAX_UPSTREAM_STREAM_BYTES,
            max_upstream_stream_seconds: DEFAULT_MAX_UPSTREAM_STREAM_SECONDS,
        }
    }
}

/// A key a client may present to the gateway, given either as the key itself or as the
/// SHA-256 digest of it, so that the plain key need not be written down.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKeyConfig {
    /// A name for the key, unique among keys: what logs and the operator call it.
    pub name: String,
    /// The key itself, usually `${NAME}` from the environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The SHA-256 digest of the key's UTF-8 bytes, in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_sha256: Option<String>,
    /// A disabled key is refused like an unknown one, but still counts as configured: a
    /// gateway whose every key is disabled refuses every client rather than serving all.
    #[serde(default = "enabled_by_default", skip_serializing_if = "is_true")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

/// The fewest characters a key given in full may have: a key is compared by its SHA-256
/// digest, which only protects a key too long to guess.
pub const MIN_ACCESS_KEY_CHARS: usize = 32;

/// Neither the key nor its digest reaches a log.
impl fmt::Debug for AccessKeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKeyConfig")
            .field("name", &self.name)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field(
                "key_sha256",
                &self.key_sha256.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The vendor API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ProviderType {
    #[serde(rename = "openai")]
    OpenAi,
    Anthropic,
    Azure,
    Bedrock,
    #[serde(rename = "vertexai")]
    VertexAi,
}

impl ProviderType {
    /// The name used in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::OpenAi => "openai",
            ProviderType::Anthropic => "anthropic",
            ProviderType::Azure => "azure",
            ProviderType::Bedrock => "bedrock",
            ProviderType::VertexAi => "vertexai",
        }
    }

    /// The settings, beyond the common ones of [`ProviderConfig`], that this type accepts.
    pub fn known_params(self) -> &'static [&'static str] {
        match self {
            ProviderType::OpenAi => &["organization_id", "project_id"],
            ProviderType::Anthropic => &["version", "default_max_tokens"],
            ProviderType::Azure => &["resource_name", "api_version", "azure_ad_token"],
            ProviderType::Bedrock => &[
                "region",
                "aws_access_key_id",
                "aws_secret_access_key",
                "aws_session_token",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
            ],
            ProviderType::VertexAi => &[
                "project_id",
                "location",
                "credentials_path",
                "credentials_json",
            ],
        }
    }

    /// The settings, beyond the common ones of [`ModelConfig`], that a model served by this
    /// type accepts.
    pub fn known_model_params(self) -> &'static [&'static str] {
        match self {
            ProviderType::Azure => &["deployment"],
            ProviderType::OpenAi
            | ProviderType::Anthropic
            | ProviderType::Bedrock
            | ProviderType::VertexAi => &[],
        }
    }
}

impl fmt::Display for ProviderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One account at one provider.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderConfig {
    /// The unique name models refer to.
    pub key: String,
    #[serde(rename = "type")]
    pub provider_type: ProviderType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// The endpoint the provider's own SDK would take; Hub appends the API's paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// How long to wait for a connection to the provider. Default 10 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_ms: Option<u64>,
    /// How long a call may take: the whole response when not streamed, the response head
    /// when streamed. Default 600 s, as the OpenAI SDKs wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Settings specific to the provider type, as listed by [`ProviderType::known_params`].
    #[serde(flatten)]
    pub params: BTreeMap<String, serde_json::Value>,
}

impl ProviderConfig {
    /// A string setting from `params`.
    pub fn param_str(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(serde_json::Value::as_str)
    }
}

/// Credentials never reach a log: the key and the values of type-specific settings are
/// left out.
impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("key", &self.key)
            .field("provider_type", &self.provider_type)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("timeout_ms", &self.timeout_ms)
            .field("params", &self.params.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A model clients may name, served by one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// What clients send as `model`.
    pub key: String,
    /// The provider's own model id.
    #[serde(rename = "type")]
    pub model_type: String,
    /// The key of the provider that serves it.
    pub provider: String,
    /// How long a call to this model may take when not streamed, response read whole.
    /// Unset: the provider's `timeout_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// How long a streamed call may take to yield its first chunk. Unset: the provider's
    /// `timeout_ms`. The stream itself is bounded only by `general.max_upstream_stream_seconds`
    /// and `general.max_upstream_stream_bytes`, so long answers are not cut off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_byte_timeout_ms: Option<u64>,
    /// Settings specific to the provider type, such as Azure's `deployment`.
    #[serde(flatten)]
    pub params: BTreeMap<String, serde_json::Value>,
}

/// A named route for one kind of operation, built from plugins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    pub name: String,
    #[serde(rename = "type")]
    pub pipeline_type: PipelineType,
    #[serde(default)]
    pub plugins: Vec<PluginConfig>,
}

impl PipelineConfig {
    /// The pipeline's model router, if it has one.
    pub fn model_router(&self) -> Option<&ModelRouterConfig> {
        self.plugins.iter().find_map(|plugin| match plugin {
            PluginConfig::ModelRouter(router) => Some(router),
            _ => None,
        })
    }
}

/// The operation a pipeline serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PipelineType {
    /// `/chat/completions`
    Chat,
    /// `/completions`
    Completion,
    /// `/embeddings`
    Embeddings,
}

impl PipelineType {
    /// The name used in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            PipelineType::Chat => "chat",
            PipelineType::Completion => "completion",
            PipelineType::Embeddings => "embeddings",
        }
    }
}

impl fmt::Display for PipelineType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One plugin of a pipeline, written in YAML as a single-key map: `- logging: {...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginConfig {
    Logging(LoggingConfig),
    Tracing(TracingConfig),
    ModelRouter(ModelRouterConfig),
}

/// The `logging` plugin: one access record per request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingConfig {
    #[serde(default)]
    pub level: LogLevel,
}

/// The level access records are written at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Trace,
    Debug,
    #[default]
    Info,
    Warn,
    Error,
}

/// The `tracing` plugin: where spans are exported.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracingConfig {
    /// The OTLP/HTTP collector, such as `http://collector:4318`.
    pub endpoint: String,
    /// Sent as a bearer token to the collector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Extra headers for the collector.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

impl fmt::Debug for TracingConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracingConfig")
            .field("endpoint", &self.endpoint)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The `model-router` plugin: which models a pipeline may send requests to, and how it
/// keeps a call alive when one of them fails.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRouterConfig {
    /// Keys of the models this pipeline serves.
    pub models: Vec<String>,
    #[serde(default)]
    pub strategy: RouterStrategy,
    /// Relative weights for `weighted_random`, by model key; a model not listed weighs 1.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub weights: BTreeMap<String, u32>,
    #[serde(default)]
    pub retry: RetryConfig,
    #[serde(default)]
    pub ejection: EjectionConfig,
}

/// How the router picks among its models. Every strategy but `simple` falls back to the
/// router's other models, in the order it chose, when an attempt fails in a way another
/// model may not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouterStrategy {
    /// The requested model only.
    #[default]
    Simple,
    /// The requested model, then the router's other models in list order.
    OrderedFallback,
    /// Any of the router's models, drawn at random by weight.
    WeightedRandom,
    /// The faster of two of the router's models drawn at random, by a moving average of
    /// their latency.
    LeastLatency,
}

impl RouterStrategy {
    /// The name used in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            RouterStrategy::Simple => "simple",
            RouterStrategy::OrderedFallback => "ordered_fallback",
            RouterStrategy::WeightedRandom => "weighted_random",
            RouterStrategy::LeastLatency => "least_latency",
        }
    }
}

/// Retries of a failed attempt on the same model, and the limits of one request's attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    /// Further attempts on the same model after a failure a retry may help.
    #[serde(default)]
    pub max_retries: u32,
    /// The first backoff; each retry doubles it, with full jitter, up to `max_backoff_ms`.
    /// A provider's `retry-after` is honoured instead when it is longer.
    #[serde(default = "default_initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    #[serde(default = "default_max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// The most attempts one request may make, retries and fallbacks together. Unset: one
    /// round over the candidates with their retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// No new attempt starts once a request has spent this long.
    #[serde(default = "default_max_elapsed_ms")]
    pub max_elapsed_ms: u64,
}

fn default_initial_backoff_ms() -> u64 {
    100
}

fn default_max_backoff_ms() -> u64 {
    5_000
}

fn default_max_elapsed_ms() -> u64 {
    60_000
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 0,
            initial_backoff_ms: default_initial_backoff_ms(),
            max_backoff_ms: default_max_backoff_ms(),
            max_attempts: None,
            max_elapsed_ms: default_max_elapsed_ms(),
        }
    }
}

/// Outlier ejection: a model that keeps failing is skipped for a while, then probed with
/// one request before it takes traffic again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EjectionConfig {
    /// Consecutive failed attempts that eject a model; 0 turns ejection off.
    #[serde(default = "default_consecutive_failures")]
    pub consecutive_failures: u32,
    /// How long an ejected model is skipped before it is probed.
    #[serde(default = "default_cooldown_ms")]
    pub cooldown_ms: u64,
}

fn default_consecutive_failures() -> u32 {
    5
}

fn default_cooldown_ms() -> u64 {
    30_000
}

impl Default for EjectionConfig {
    fn default() -> Self {
        EjectionConfig {
            consecutive_failures: default_consecutive_failures(),
            cooldown_ms: default_cooldown_ms(),
        }
    }
}

#[cfg(test)]
mod tests;
