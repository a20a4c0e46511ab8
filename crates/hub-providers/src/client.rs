//! The outbound HTTP client: hyper-util's pooled client over hyper-rustls.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::Full;
use hub_core::config::GeneralConfig;
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_http::HeaderInjector;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// How the client connects, and how much of an answer it reads.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// How long to wait for TCP (and TLS) to be established.
    pub connect_timeout: Duration,
    pub limits: UpstreamLimits,
}

/// How much of an upstream's answer the gateway reads, and for how long it follows a stream.
/// Every bound keeps a broken or hostile upstream from holding memory or a client forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamLimits {
    /// The largest non-streamed body read; reading stops there.
    pub max_response_bytes: usize,
    /// The largest single stream event (SSE event, eventstream frame) buffered.
    pub max_event_bytes: usize,
    /// The most bytes one stream may carry.
    pub max_stream_bytes: u64,
    /// The longest one stream may run.
    pub max_stream_duration: Duration,
}

impl UpstreamLimits {
    /// The limits `general` sets.
    pub fn from_config(general: &GeneralConfig) -> Self {
        // A limit past the address space cannot be reached anyway.
        let bytes = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
        UpstreamLimits {
            max_response_bytes: bytes(general.max_upstream_response_bytes),
            max_event_bytes: bytes(general.max_upstream_event_bytes),
            max_stream_bytes: general.max_upstream_stream_bytes,
            max_stream_duration: Duration::from_secs(general.max_upstream_stream_seconds),
        }
    }
}

impl Default for UpstreamLimits {
    fn default() -> Self {
        UpstreamLimits::from_config(&GeneralConfig::default())
    }
}

/// A pooled client speaking HTTP/1.1, and HTTP/2 where TLS negotiates it.
///
/// Cloning is cheap and shares the pool.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    limits: UpstreamLimits,
}

impl HttpClient {
    /// A client with its own connection pool, trusting the Mozilla root certificates.
    ///
    /// # Errors
    ///
    /// Fails when the TLS configuration cannot be built.
    pub fn new(settings: &ClientSettings) -> Result<Self, rustls::Error> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(settings.connect_timeout));

        // The crypto provider is named here rather than taken from the process default, so
        // the client works whichever default a service embedding Hub installed.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)?
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(http);

        let inner = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Ok(HttpClient {
            inner,
            limits: settings.limits,
        })
    }

    /// How much of an answer this client's callers read.
    pub fn limits(&self) -> UpstreamLimits {
        self.limits
    }

    /// Sends a request and waits for the response head. When the call is traced, its span's
    /// context goes upstream in `traceparent`, so the provider's traces join the client's.
    ///
    /// # Errors
    ///
    /// Fails when the connection cannot be made or breaks before the head arrives.
    pub async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, hyper_util::client::legacy::Error> {
        propagate_trace(request.headers_mut());
        self.inner.request(request).await
    }
}

/// Writes the current span's W3C trace context into `headers`, if there is one.
fn propagate_trace(headers: &mut HeaderMap) {
    let context = tracing::Span::current().context();
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
    }
}
