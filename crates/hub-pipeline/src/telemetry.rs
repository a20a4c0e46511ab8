//! Telemetry: OpenTelemetry spans exported over OTLP, and Prometheus metrics.
//!
//! A service installs [`layer`] in its `tracing` subscriber and [`metrics::install`]'s
//! recorder once at start, and calls [`flush`] before it exits. Pipelines with a `tracing`
//! plugin then export their spans to their collector; every pipeline records metrics.

mod export;
pub mod metrics;
pub(crate) mod spans;

use std::sync::OnceLock;

use opentelemetry::trace::TracerProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::registry::LookupSpan;

pub(crate) use export::SpanExport;

/// The `tracing` layer that turns Hub's spans into OpenTelemetry spans and hands them to
/// the exporters of the pipelines they belong to. Other spans pass it by.
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    let tracer = provider().tracer("hub");
    tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(filter_fn(|metadata| metadata.target() == spans::TARGET))
}

/// Sends every span still queued. Blocks until done: call it when the process stops.
pub fn flush() {
    export::flush_all();
}

fn provider() -> &'static SdkTracerProvider {
    static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name("hub")
            .build();
        SdkTracerProvider::builder()
            .with_span_processor(export::ExportRouter)
            .with_resource(resource)
            .build()
    })
}
