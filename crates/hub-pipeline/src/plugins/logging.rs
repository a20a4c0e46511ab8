//! The `logging` plugin: one access record per request, with a fixed set of fields.
//!
//! A streamed answer is recorded when its stream ends, or is dropped because the client
//! went away, so the record carries the stream's outcome and token counts.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_core::Stream;
use hub_core::config::LogLevel;
use hub_core::{BoxFuture, BoxStream, ChatResponse, CompletionResponse, Usage};
use tower::{Layer, Service};

use crate::error::GatewayError;
use crate::operation::{OperationRequest, OperationResponse, Output};
use crate::stream::StreamChunk;

/// Adds [`Logging`] to a pipeline.
#[derive(Debug, Clone)]
pub(crate) struct LoggingLayer {
    pipeline: Arc<str>,
    level: LogLevel,
}

impl LoggingLayer {
    pub(crate) fn new(pipeline: Arc<str>, level: LogLevel) -> Self {
        LoggingLayer { pipeline, level }
    }
}

impl<S> Layer<S> for LoggingLayer {
    type Service = Logging<S>;

    fn layer(&self, inner: S) -> Logging<S> {
        Logging {
            inner,
            pipeline: Arc::clone(&self.pipeline),
            level: self.level,
        }
    }
}

/// Writes an access record for every request that passes through.
#[derive(Debug, Clone)]
pub(crate) struct Logging<S> {
    inner: S,
    pipeline: Arc<str>,
    level: LogLevel,
}

impl<S> Service<OperationRequest> for Logging<S>
where
    S: Service<OperationRequest, Response = OperationResponse, Error = GatewayError>,
    S::Future: Send + 'static,
{
    type Response = OperationResponse;
    type Error = GatewayError;
    type Future = BoxFuture<'static, Result<OperationResponse, GatewayError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), GatewayError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: OperationRequest) -> Self::Future {
        let record = AccessRecord {
            level: self.level,
            pipeline: Arc::clone(&self.pipeline),
            operation: request.operation().name(),
            requested_model: request.model().to_owned(),
            model: None,
            provider: None,
            attempts: None,
            status: 200,
            stream: false,
            usage: None,
            started: Instant::now(),
            outcome: "completed",
        };
        let response = self.inner.call(request);

        Box::pin(async move {
            // Dropped unfinished when the client goes away: the record still gets written.
            let mut pending = PendingRecord(Some(record));
            let result = response.await;
            let Some(mut record) = pending.0.take() else {
                return result;
            };

            let mut response = match result {
                Ok(response) => response,
                Err(error) => {
                    record.status = error.status().as_u16();
                    record.outcome = "failed";
                    record.emit();
                    return Err(error);
                }
            };
            record.model = Some(Arc::clone(&response.route.key));
            record.provider = Some(Arc::clone(&response.route.provider_key));
            record.attempts = Some(response.attempts);
            response.output = observe(response.output, record);
            Ok(response)
        })
    }
}

/// A record not yet written; written as cancelled if dropped, as when the client
/// disconnects before the answer.
struct PendingRecord(Option<AccessRecord>);

impl Drop for PendingRecord {
    fn drop(&mut self) {
        if let Some(mut record) = self.0.take() {
            record.status = CLIENT_CLOSED_REQUEST;
            record.outcome = "cancelled";
            record.emit();
        }
    }
}

/// The status nginx made common for a client that closed the connection before the answer.
const CLIENT_CLOSED_REQUEST: u16 = 499;

/// Records a whole answer now, and a stream when it ends.
fn observe(output: Output, mut record: AccessRecord) -> Output {
    match output {
        Output::Chat(ChatResponse::Complete(completion)) => {
            record.usage = completion.usage.clone();
            record.emit();
            Output::Chat(ChatResponse::Complete(completion))
        }
        Output::Chat(ChatResponse::Stream(chunks)) => {
            Output::Chat(ChatResponse::Stream(RecordedStream::wrap(chunks, record)))
        }
        Output::Completion(CompletionResponse::Complete(completion)) => {
            record.usage = completion.usage.clone();
            record.emit();
            Output::Completion(CompletionResponse::Complete(completion))
        }
        Output::Completion(CompletionResponse::Stream(chunks)) => Output::Completion(
            CompletionResponse::Stream(RecordedStream::wrap(chunks, record)),
        ),
        Output::Embeddings(embeddings) => {
            record.usage = Some(Usage {
                prompt_tokens: embeddings.usage.prompt_tokens,
                total_tokens: embeddings.usage.total_tokens,
                ..Usage::default()
            });
            record.emit();
            Output::Embeddings(embeddings)
        }
    }
}

/// The fields of one access record.
#[derive(Debug)]
struct AccessRecord {
    level: LogLevel,
    pipeline: Arc<str>,
    operation: &'static str,
    requested_model: String,
    model: Option<Arc<str>>,
    provider: Option<Arc<str>>,
    attempts: Option<u32>,
    status: u16,
    stream: bool,
    usage: Option<Usage>,
    started: Instant,
    outcome: &'static str,
}

impl AccessRecord {
    fn emit(&self) {
        let elapsed = self.started.elapsed();
        let (prompt_tokens, completion_tokens) =
            self.usage.as_ref().map_or((None, None), |usage| {
                (Some(usage.prompt_tokens), Some(usage.completion_tokens))
            });

        // `tracing` fixes an event's level at compile time, so each level is its own call.
        macro_rules! record {
            ($level:expr) => {
                tracing::event!(
                    target: "hub::access",
                    $level,
                    pipeline = %self.pipeline,
                    operation = self.operation,
                    requested_model = %self.requested_model,
                    model = self.model.as_deref(),
                    provider = self.provider.as_deref(),
                    attempts = self.attempts,
                    status = self.status,
                    stream = self.stream,
                    outcome = self.outcome,
                    latency_ms = elapsed.as_secs_f64() * 1000.0,
                    prompt_tokens,
                    completion_tokens,
                    "access"
                )
            };
        }
        match self.level {
            LogLevel::Trace => record!(tracing::Level::TRACE),
            LogLevel::Debug => record!(tracing::Level::DEBUG),
            LogLevel::Info => record!(tracing::Level::INFO),
            LogLevel::Warn => record!(tracing::Level::WARN),
            LogLevel::Error => record!(tracing::Level::ERROR),
        }
    }
}

/// A stream that keeps the usage it sees and writes its record once, when it ends or is
/// dropped unfinished.
struct RecordedStream<T> {
    inner: BoxStream<Result<T, hub_core::Error>>,
    record: Option<AccessRecord>,
}

impl<T: StreamChunk> RecordedStream<T> {
    fn wrap(
        inner: BoxStream<Result<T, hub_core::Error>>,
        mut record: AccessRecord,
    ) -> BoxStream<Result<T, hub_core::Error>> {
        record.stream = true;
        record.outcome = "cancelled";
        Box::pin(RecordedStream {
            inner,
            record: Some(record),
        })
    }
}

impl<T: StreamChunk> Stream for RecordedStream<T> {
    type Item = Result<T, hub_core::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = std::task::ready!(self.inner.as_mut().poll_next(cx));
        if let Some(record) = self.record.as_mut() {
            match &item {
                Some(Ok(chunk)) => {
                    if let Some(usage) = chunk.usage() {
                        record.usage = Some(usage.clone());
                    }
                }
                Some(Err(_)) => record.outcome = "failed",
                None => record.outcome = "completed",
            }
        }
        if matches!(item, None | Some(Err(_)))
            && let Some(record) = self.record.take()
        {
            record.emit();
        }
        Poll::Ready(item)
    }
}

impl<T> Drop for RecordedStream<T> {
    fn drop(&mut self) {
        if let Some(record) = self.record.take() {
            record.emit();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use hub_core::chat::ChatCompletionRequest;
    use tower::ServiceExt;

    use super::*;

    /// Log output captured for one test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_request_dropped_unanswered_is_recorded_as_cancelled() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _default = tracing::subscriber::set_default(subscriber);

        let never = tower::service_fn(|_: OperationRequest| {
            std::future::pending::<Result<OperationResponse, GatewayError>>()
        });
        let logging = LoggingLayer::new(Arc::from("default"), LogLevel::Info).layer(never);
        let request: ChatCompletionRequest = serde_json::from_value(serde_json::json!({
            "model": "m", "messages": [{"role": "user", "content": "hi"}]
        }))
        .unwrap();
        let call = logging.oneshot(OperationRequest::Chat(request));
        let unanswered = tokio::time::timeout(std::time::Duration::from_millis(10), call).await;
        assert!(unanswered.is_err(), "the inner service never answers");

        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("outcome=\"cancelled\""), "{text}");
        assert!(text.contains("status=499"), "{text}");
    }
}
