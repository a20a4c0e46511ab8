//! The `tracing` plugin: a server span per request, with the GenAI conventions' attributes,
//! exported to the plugin's collector.
//!
//! The span continues the client's W3C trace, which the HTTP edge attaches as the current
//! OpenTelemetry context; each upstream attempt gets a client span beneath it from the
//! model router, and the HTTP client passes its context upstream in `traceparent`.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use hub_core::BoxFuture;
use opentelemetry::trace::Status;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::error::GatewayError;
use crate::operation::{OperationRequest, OperationResponse};
use crate::telemetry::SpanExport;
use crate::telemetry::spans::{self, attr};

/// Adds [`Tracing`] to a pipeline.
#[derive(Debug, Clone)]
pub(crate) struct TracingLayer {
    pipeline: Arc<str>,
    export: Arc<SpanExport>,
    content: bool,
}

impl TracingLayer {
    /// Spans go to `export`; prompts and completions are recorded only with `content`.
    pub(crate) fn new(pipeline: Arc<str>, export: Arc<SpanExport>, content: bool) -> Self {
        TracingLayer {
            pipeline,
            export,
            content,
        }
    }
}

impl<S> Layer<S> for TracingLayer {
    type Service = Tracing<S>;

    fn layer(&self, inner: S) -> Tracing<S> {
        Tracing {
            inner,
            layer: self.clone(),
        }
    }
}

/// Wraps each request in a server span.
#[derive(Debug, Clone)]
pub(crate) struct Tracing<S> {
    inner: S,
    layer: TracingLayer,
}

impl<S> Service<OperationRequest> for Tracing<S>
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
        let started = Instant::now();
        let operation = request.operation().name();
        let span = tracing::info_span!(
            target: spans::TARGET,
            "request",
            otel.name = %format_args!("{operation} {}", request.model()),
            otel.kind = "server",
            hub.export = self.layer.export.id(),
            hub.pipeline = %self.layer.pipeline,
            gen_ai.operation.name = operation,
            gen_ai.request.model = %request.model(),
        );
        // The edge attached the client's trace, if it sent one, as the current context.
        if let Err(error) = span.set_parent(opentelemetry::Context::current()) {
            tracing::debug!(%error, "could not continue the client's trace");
        }
        spans::record_request(&span, &request, self.layer.content);

        let content = self.layer.content;
        let response = self.inner.call(request).instrument(span.clone());
        Box::pin(async move {
            match response.await {
                Ok(mut response) => {
                    let provider = response.route.provider.provider_type();
                    span.set_attribute(attr::PROVIDER, spans::provider_name(provider));
                    response.output = spans::trace_output(span, response.output, started, content);
                    Ok(response)
                }
                Err(GatewayError::Provider(error)) => {
                    spans::record_error(&span, &error, content);
                    Err(GatewayError::Provider(error))
                }
                Err(error) => {
                    span.set_attribute(attr::ERROR_TYPE, error.status().as_u16().to_string());
                    span.set_status(Status::error(error.to_string()));
                    Err(error)
                }
            }
        })
    }
}
