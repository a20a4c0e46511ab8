//! One attempt at one model: the provider call under the model's time limits, and, for a
//! stream, its first chunk; with a client span when the pipeline is traced, and metrics.
//!
//! A stream's first chunk is awaited before the attempt counts as served: until then
//! nothing has gone to the client, so a stream that fails at once can still fall back to
//! another model, and time to first byte means the first chunk, not the response head.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hub_core::{BoxStream, ChatResponse, CompletionResponse, Error};
use tracing::Instrument;

use crate::operation::{OperationRequest, Output};
use crate::snapshot::Route;
use crate::telemetry::{metrics, spans};

/// Sends `request` to `route`'s model, as attempt number `number` of its request. Spans go
/// to `export` when the pipeline is traced.
pub(crate) async fn attempt(
    route: &Route,
    request: OperationRequest,
    export: Option<i64>,
    number: u32,
    content: bool,
) -> Result<Output, Error> {
    let started = Instant::now();
    let operation = request.operation().name();
    let provider = spans::provider_name(route.provider.provider_type());

    let outcome = match export {
        Some(export) => {
            let span = tracing::info_span!(
                target: spans::TARGET,
                "attempt",
                otel.name = %format_args!("{operation} {}", route.model.model_type),
                otel.kind = "client",
                hub.export = export,
                hub.model = %route.key,
                hub.attempt = number,
                gen_ai.operation.name = operation,
                gen_ai.provider.name = provider,
                gen_ai.request.model = %route.model.model_type,
            );
            match limited(route, request).instrument(span.clone()).await {
                Ok(output) => Ok(spans::trace_output(span, output, started, false)),
                Err(error) => {
                    spans::record_error(&span, &error, content);
                    Err(error)
                }
            }
        }
        None => limited(route, request).await,
    };

    let error_type = outcome.as_ref().err().map(spans::error_type);
    if let Some(kind) = &error_type {
        metrics::upstream_error(&route.provider_key, &route.key, kind.clone());
    }
    let labels = metrics::OperationLabels {
        operation,
        provider,
        model: &route.model.model_type,
    };
    metrics::operation_finished(&labels, started.elapsed(), error_type);
    outcome
}

/// The call under the model's limit: the whole answer when not streamed, the first chunk
/// when streamed.
async fn limited(route: &Route, request: OperationRequest) -> Result<Output, Error> {
    let limit = if request.is_stream() {
        route.model.first_byte_timeout_ms
    } else {
        route.model.timeout_ms
    };
    let call = call(route, request);

    let Some(limit) = limit.map(Duration::from_millis) else {
        return call.await;
    };
    tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
        Err(Error::UpstreamTimeout {
            provider: route.provider_key.to_string(),
            after: limit,
        })
    })
}

async fn call(route: &Route, request: OperationRequest) -> Result<Output, Error> {
    let provider = &route.provider;
    let model = &route.model;
    match request {
        OperationRequest::Chat(request) => match provider.chat_completion(model, request).await? {
            ChatResponse::Stream(chunks) => {
                Ok(Output::Chat(ChatResponse::Stream(first(chunks).await?)))
            }
            complete => Ok(Output::Chat(complete)),
        },
        OperationRequest::Completion(request) => match provider.completion(model, request).await? {
            CompletionResponse::Stream(chunks) => Ok(Output::Completion(
                CompletionResponse::Stream(first(chunks).await?),
            )),
            complete => Ok(Output::Completion(complete)),
        },
        OperationRequest::Embeddings(request) => Ok(Output::Embeddings(
            provider.embeddings(model, request).await?,
        )),
    }
}

/// Waits for a stream's first chunk, and gives the stream back whole.
async fn first<T: Send + 'static>(
    mut chunks: BoxStream<Result<T, Error>>,
) -> Result<BoxStream<Result<T, Error>>, Error> {
    match chunks.next().await {
        Some(Ok(chunk)) => Ok(Box::pin(
            futures_util::stream::iter([Ok(chunk)]).chain(chunks),
        )),
        Some(Err(error)) => Err(error),
        None => Ok(chunks),
    }
}
