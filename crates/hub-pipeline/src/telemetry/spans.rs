//! Spans with the OpenTelemetry GenAI conventions: a server span per request and a client
//! span per upstream attempt, named `{gen_ai.operation.name} {gen_ai.request.model}`.
//!
//! Spans are `tracing` spans with the target [`TARGET`], which only the OpenTelemetry layer
//! exports; they are created only for pipelines with a `tracing` plugin. Prompt and
//! completion content are recorded only when content tracing is on.

use std::time::Instant;

use futures_core::Stream;
use hub_core::chat::ChatMessage;
use hub_core::config::ProviderType;
use hub_core::{BoxStream, ChatResponse, CompletionResponse, Error, Usage};
use opentelemetry::trace::Status;
use opentelemetry::{StringValue, Value};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::operation::{OperationRequest, Output};
use crate::stream::{Answer, StreamChunk};

/// The target of every span Hub exports.
pub(crate) const TARGET: &str = "hub::otel";

/// The GenAI semantic conventions' attribute names (v1.41). The crate that publishes them
/// marks them deprecated, so Hub keeps its own. `gen_ai.operation.name` and
/// `gen_ai.request.model` are set where spans are created, as fields of the same names.
pub(crate) mod attr {
    pub(crate) const PROVIDER: &str = "gen_ai.provider.name";
    pub(crate) const REQUEST_TEMPERATURE: &str = "gen_ai.request.temperature";
    pub(crate) const REQUEST_TOP_P: &str = "gen_ai.request.top_p";
    pub(crate) const REQUEST_MAX_TOKENS: &str = "gen_ai.request.max_tokens";
    pub(crate) const REQUEST_STREAM: &str = "gen_ai.request.stream";
    pub(crate) const REQUEST_CHOICE_COUNT: &str = "gen_ai.request.choice.count";
    pub(crate) const REQUEST_SEED: &str = "gen_ai.request.seed";
    pub(crate) const RESPONSE_ID: &str = "gen_ai.response.id";
    pub(crate) const RESPONSE_MODEL: &str = "gen_ai.response.model";
    pub(crate) const RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
    pub(crate) const TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
    pub(crate) const INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
    pub(crate) const OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
    pub(crate) const INPUT_MESSAGES: &str = "gen_ai.input.messages";
    pub(crate) const OUTPUT_MESSAGES: &str = "gen_ai.output.messages";
    pub(crate) const ERROR_TYPE: &str = "error.type";
}

/// The provider's name in the GenAI conventions.
pub(crate) fn provider_name(provider_type: ProviderType) -> &'static str {
    match provider_type {
        ProviderType::OpenAi => "openai",
        ProviderType::Anthropic => "anthropic",
        ProviderType::Azure => "azure.ai.openai",
        ProviderType::Bedrock => "aws.bedrock",
        ProviderType::VertexAi => "gcp.vertex_ai",
    }
}

/// The request's parameters as span attributes, and its messages when `content` is on.
pub(crate) fn record_request(span: &Span, request: &OperationRequest, content: bool) {
    let (temperature, top_p, max_tokens, n, seed) = match request {
        OperationRequest::Chat(chat) => (
            chat.temperature,
            chat.top_p,
            chat.max_output_tokens(),
            chat.n,
            chat.seed,
        ),
        OperationRequest::Completion(completion) => (
            completion.temperature,
            completion.top_p,
            completion.max_tokens,
            completion.n,
            completion.seed,
        ),
        OperationRequest::Embeddings(_) => (None, None, None, None, None),
    };
    set_some(span, attr::REQUEST_TEMPERATURE, temperature);
    set_some(span, attr::REQUEST_TOP_P, top_p);
    set_some(span, attr::REQUEST_MAX_TOKENS, max_tokens.map(i64::from));
    set_some(
        span,
        attr::REQUEST_CHOICE_COUNT,
        n.filter(|n| *n != 1).map(i64::from),
    );
    set_some(span, attr::REQUEST_SEED, seed);
    if request.is_stream() {
        span.set_attribute(attr::REQUEST_STREAM, true);
    }

    if content && let OperationRequest::Chat(chat) = request {
        span.set_attribute(attr::INPUT_MESSAGES, messages_json(&chat.messages));
    }
}

fn set_some<T: Into<Value>>(span: &Span, key: &'static str, value: Option<T>) {
    if let Some(value) = value {
        span.set_attribute(key, value);
    }
}

fn messages_json(messages: &[ChatMessage]) -> String {
    serde_json::to_string(messages).unwrap_or_default()
}

/// Marks the span failed, with `error.type` as the conventions ask: the HTTP status of an
/// upstream refusal, else the kind of failure. The status holds the provider's message only
/// when `content` may be traced: a provider may quote the prompt it refused.
pub(crate) fn record_error(span: &Span, error: &Error, content: bool) {
    span.set_attribute(attr::ERROR_TYPE, error_type(error));
    span.set_status(Status::error(error_text(error, content).to_string()));
}

/// What a log line or span may say of `error`: all of it when content may be traced, else
/// [`Error::without_content`]. Formatted only where it is written.
pub(crate) fn error_text(error: &Error, content: bool) -> ErrorText<'_> {
    ErrorText { error, content }
}

/// See [`error_text`].
pub(crate) struct ErrorText<'a> {
    error: &'a Error,
    content: bool,
}

impl std::fmt::Display for ErrorText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.content {
            std::fmt::Display::fmt(self.error, f)
        } else {
            std::fmt::Display::fmt(&self.error.without_content(), f)
        }
    }
}

/// A short, bounded name for the kind of an upstream failure.
pub(crate) fn error_type(error: &Error) -> String {
    match error {
        Error::UpstreamStatus { status, .. } => status.to_string(),
        Error::UpstreamTimeout { .. } => "timeout".to_owned(),
        Error::UpstreamUnreachable { .. } => "unreachable".to_owned(),
        Error::UpstreamProtocol { .. } => "malformed_response".to_owned(),
        Error::UpstreamReported { .. } => "reported".to_owned(),
        Error::InvalidRequest { .. } => "invalid_request".to_owned(),
        Error::Internal(_) => "internal".to_owned(),
    }
}

/// Records what a whole answer says on `span`; wraps a stream so that the span records
/// it, and ends, when the stream does.
pub(crate) fn trace_output(span: Span, output: Output, started: Instant, content: bool) -> Output {
    match output {
        Output::Chat(ChatResponse::Stream(chunks)) => {
            Output::Chat(ChatResponse::Stream(traced(span, chunks, started, content)))
        }
        Output::Completion(CompletionResponse::Stream(chunks)) => Output::Completion(
            CompletionResponse::Stream(traced(span, chunks, started, content)),
        ),
        Output::Chat(ChatResponse::Complete(completion)) => {
            let mut seen = Seen::default();
            seen.observe(&*completion, content);
            seen.record(&span);
            Output::Chat(ChatResponse::Complete(completion))
        }
        Output::Completion(CompletionResponse::Complete(completion)) => {
            let mut seen = Seen::default();
            seen.observe(&*completion, content);
            seen.record(&span);
            Output::Completion(CompletionResponse::Complete(completion))
        }
        Output::Embeddings(embeddings) => {
            span.set_attribute(attr::RESPONSE_MODEL, embeddings.model.clone());
            span.set_attribute(attr::INPUT_TOKENS, to_i64(embeddings.usage.prompt_tokens));
            Output::Embeddings(embeddings)
        }
    }
}

fn to_i64(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// What the answer said so far, gathered chunk by chunk.
#[derive(Debug, Default)]
struct Seen {
    id: Option<String>,
    model: Option<String>,
    finish_reasons: Vec<String>,
    usage: Option<Usage>,
    /// The answer's text, kept only with content tracing on.
    text: String,
}

impl Seen {
    fn observe<T: Answer>(&mut self, chunk: &T, content: bool) {
        if self.id.is_none() {
            self.id = Some(chunk.id().to_owned());
            self.model = Some(chunk.model().to_owned());
        }
        chunk.for_each_finish_reason(|reason| self.finish_reasons.push(reason.to_string()));
        if let Some(usage) = chunk.usage() {
            self.usage = Some(usage.clone());
        }
        if content {
            chunk.for_each_text(|text| self.text.push_str(text));
        }
    }

    fn record(self, span: &Span) {
        set_some(span, attr::RESPONSE_ID, self.id);
        set_some(span, attr::RESPONSE_MODEL, self.model);
        if !self.finish_reasons.is_empty() {
            let reasons: Vec<StringValue> = self
                .finish_reasons
                .into_iter()
                .map(StringValue::from)
                .collect();
            span.set_attribute(attr::RESPONSE_FINISH_REASONS, Value::Array(reasons.into()));
        }
        if let Some(usage) = self.usage {
            span.set_attribute(attr::INPUT_TOKENS, to_i64(usage.prompt_tokens));
            span.set_attribute(attr::OUTPUT_TOKENS, to_i64(usage.completion_tokens));
        }
        if !self.text.is_empty() {
            let message = serde_json::json!([{"role": "assistant", "content": self.text}]);
            span.set_attribute(attr::OUTPUT_MESSAGES, message.to_string());
        }
    }
}

/// A stream that records what passes on its span, and ends the span when it ends.
fn traced<T: StreamChunk>(
    span: Span,
    chunks: BoxStream<Result<T, Error>>,
    started: Instant,
    content: bool,
) -> BoxStream<Result<T, Error>> {
    Box::pin(TracedStream {
        chunks,
        span: Some(span),
        seen: Seen::default(),
        started,
        first_chunk: false,
        content,
    })
}

struct TracedStream<T> {
    chunks: BoxStream<Result<T, Error>>,
    /// Dropped, which ends the span, once the stream has ended.
    span: Option<Span>,
    seen: Seen,
    started: Instant,
    first_chunk: bool,
    content: bool,
}

impl<T: StreamChunk> Stream for TracedStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let this = &mut *self;
        let item = std::task::ready!(this.chunks.as_mut().poll_next(cx));
        let Some(span) = this.span.as_ref() else {
            return std::task::Poll::Ready(item);
        };

        match &item {
            Some(Ok(chunk)) => {
                if !this.first_chunk {
                    this.first_chunk = true;
                    let elapsed = this.started.elapsed().as_secs_f64();
                    span.set_attribute(attr::TIME_TO_FIRST_CHUNK, elapsed);
                }
                this.seen.observe(chunk, this.content);
            }
            Some(Err(error)) => record_error(span, error, this.content),
            None => {}
        }
        if !matches!(item, Some(Ok(_))) {
            let seen = std::mem::take(&mut this.seen);
            seen.record(span);
            this.span = None;
        }
        std::task::Poll::Ready(item)
    }
}
