//! Span export: one OTLP/HTTP exporter per distinct `tracing` plugin configuration, and a
//! span processor that hands each finished span to the exporter of the pipeline it came
//! from.
//!
//! A `tracing` subscriber has one OpenTelemetry layer and so one tracer provider, while each
//! pipeline names its own collector. Spans therefore carry the id of their exporter in the
//! `hub.export` attribute; [`ExportRouter`] looks it up, strips it, and queues the span on
//! that exporter's batch processor. Exporters are held by the snapshot that configured them:
//! the registry keeps weak references, so a reload that drops a snapshot drops its exporters
//! once its last request has finished.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use http::HeaderValue;
use hub_core::config::TracingConfig;
use opentelemetry::{Context, Key, Value};
use opentelemetry_http::hyper::HyperClient;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::runtime::Tokio;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{BatchConfigBuilder, Span, SpanData, SpanProcessor};

/// The attribute that names a span's exporter; never exported itself.
pub(crate) const EXPORT_ATTRIBUTE: &str = "hub.export";

/// Spans waiting for export per exporter; beyond this, new spans are dropped rather than
/// queued, so a collector that is down costs bounded memory and never blocks a request.
const MAX_QUEUED_SPANS: usize = 4096;

/// How often queued spans are sent.
const EXPORT_INTERVAL: Duration = Duration::from_millis(500);

/// How long one export may take before it is abandoned.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// An exporter to one collector, shared by the pipelines whose `tracing` plugins name it.
#[derive(Debug)]
pub(crate) struct SpanExport {
    id: i64,
    /// Taken only by `drop`.
    processor: Option<BatchSpanProcessor<Tokio>>,
}

impl SpanExport {
    /// Builds the exporter for `config` and registers it. Must run inside a tokio runtime,
    /// where the batch processor's task is spawned.
    pub(crate) fn start(config: &TracingConfig) -> Result<Arc<SpanExport>, String> {
        static NEXT_ID: AtomicI64 = AtomicI64::new(1);

        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(http_client(config)?)
            .with_endpoint(traces_url(&config.endpoint))
            .with_protocol(Protocol::HttpBinary)
            .with_timeout(EXPORT_TIMEOUT)
            .with_headers(config.headers.clone().into_iter().collect())
            .build()
            .map_err(|error| format!("cannot build the OTLP exporter: {error}"))?;
        let batches = BatchConfigBuilder::default()
            .with_max_queue_size(MAX_QUEUED_SPANS)
            .with_scheduled_delay(EXPORT_INTERVAL)
            .build();
        let processor = BatchSpanProcessor::builder(exporter, Tokio)
            .with_batch_config(batches)
            .build();

        let export = Arc::new(SpanExport {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            processor: Some(processor),
        });
        registry().insert(export.id, Arc::downgrade(&export));
        Ok(export)
    }

    /// The value of [`EXPORT_ATTRIBUTE`] for spans bound for this exporter.
    pub(crate) fn id(&self) -> i64 {
        self.id
    }

    fn flush(&self) {
        let flushed = self.processor.as_ref().map(BatchSpanProcessor::force_flush);
        if let Some(Err(error)) = flushed {
            tracing::debug!(%error, "could not flush spans");
        }
    }

    fn queue(&self, span: SpanData) {
        if let Some(processor) = &self.processor {
            processor.on_end(span);
        }
    }
}

impl Drop for SpanExport {
    /// The spans still queued are sent before the exporter goes: its shutdown waits for the
    /// last export, so it runs on the blocking pool rather than stall a runtime worker.
    fn drop(&mut self) {
        registry().remove(&self.id);
        let Some(processor) = self.processor.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn_blocking(move || processor.shutdown());
        }
    }
}

/// Sends every span still queued, as a process does before it exits. Blocks until done.
pub(crate) fn flush_all() {
    let exports: Vec<Arc<SpanExport>> = {
        let registry = registry();
        registry.values().filter_map(Weak::upgrade).collect()
    };
    for export in exports {
        export.flush();
    }
}

fn registry() -> std::sync::MutexGuard<'static, HashMap<i64, Weak<SpanExport>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<i64, Weak<SpanExport>>>> = OnceLock::new();
    // Every critical section is one map operation, so a poisoned map is still whole.
    REGISTRY
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// `http://collector:4318` becomes `http://collector:4318/v1/traces`; an endpoint that
/// already has a path is taken as the full URL, as OTLP's own settings are.
fn traces_url(endpoint: &str) -> String {
    let trimmed = endpoint.trim_end_matches('/');
    let has_path = trimmed
        .split_once("://")
        .is_some_and(|(_, rest)| rest.contains('/'));
    if has_path {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/v1/traces")
    }
}

/// A client over hyper and rustls; the plugin's `api_key` goes as a bearer token.
fn http_client(
    config: &TracingConfig,
) -> Result<
    HyperClient<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>>,
    String,
> {
    let authorization = config
        .api_key
        .as_ref()
        .map(|key| {
            let mut value = HeaderValue::try_from(format!("Bearer {key}"))
                .map_err(|_| "the tracing api_key is not a valid header value".to_owned())?;
            value.set_sensitive(true);
            Ok::<_, String>(value)
        })
        .transpose()?;

    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(provider)
        .map_err(|error| format!("TLS setup failed: {error}"))?
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(http);
    Ok(HyperClient::new(connector, EXPORT_TIMEOUT, authorization))
}

/// The span processor of Hub's tracer provider: routes each span to its exporter.
#[derive(Debug, Default)]
pub(crate) struct ExportRouter;

impl SpanProcessor for ExportRouter {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, mut span: SpanData) {
        let key = Key::from_static_str(EXPORT_ATTRIBUTE);
        let Some(position) = span.attributes.iter().position(|kv| kv.key == key) else {
            return;
        };
        let Value::I64(id) = span.attributes.swap_remove(position).value else {
            return;
        };

        let export = registry().get(&id).and_then(Weak::upgrade);
        if let Some(export) = export {
            export.queue(span);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        flush_all();
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        flush_all();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traces_path_is_added_to_a_bare_endpoint() {
        assert_eq!(
            traces_url("http://collector:4318"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector:4318/"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("https://otel.example.com/api/v1/traces"),
            "https://otel.example.com/api/v1/traces"
        );
    }
}
