//! A collector on loopback that decodes OTLP/HTTP protobuf exports, for the tracing tests.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;
use tokio::net::TcpListener;

/// A span as the collector received it.
#[derive(Debug, Clone)]
pub(crate) struct ReceivedSpan {
    pub(crate) name: String,
    pub(crate) trace_id: String,
    pub(crate) span_id: String,
    pub(crate) parent_span_id: String,
    /// 1 internal, 2 server, 3 client.
    pub(crate) kind: i32,
    /// 2 is an error.
    pub(crate) status_code: i32,
    pub(crate) status_message: String,
    pub(crate) attributes: HashMap<String, String>,
}

/// A collector's address, and what it has received.
pub(crate) struct Collector {
    pub(crate) addr: SocketAddr,
    spans: Arc<Mutex<Vec<ReceivedSpan>>>,
    pub(crate) headers: Arc<Mutex<Vec<http::HeaderMap>>>,
}

impl Collector {
    pub(crate) async fn start() -> Collector {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let spans = Arc::new(Mutex::new(Vec::new()));
        let headers = Arc::new(Mutex::new(Vec::new()));
        let (into_spans, into_headers) = (Arc::clone(&spans), Arc::clone(&headers));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (spans, headers) = (Arc::clone(&into_spans), Arc::clone(&into_headers));
                let service = service_fn(move |request: Request<Incoming>| {
                    receive(request, Arc::clone(&spans), Arc::clone(&headers))
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        Collector {
            addr,
            spans,
            headers,
        }
    }

    /// Waits until at least `count` spans have arrived, and returns them all.
    pub(crate) async fn spans(&self, count: usize) -> Vec<ReceivedSpan> {
        for _ in 0..200 {
            let spans = self
                .spans
                .lock()
                .expect("the collector lock is not poisoned")
                .clone();
            if spans.len() >= count {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let spans = self
            .spans
            .lock()
            .expect("the collector lock is not poisoned")
            .clone();
        panic!("expected {count} spans within 10 s, got {spans:#?}");
    }
}

async fn receive(
    request: Request<Incoming>,
    spans: Arc<Mutex<Vec<ReceivedSpan>>>,
    headers: Arc<Mutex<Vec<http::HeaderMap>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    assert_eq!(request.uri().path(), "/v1/traces");
    assert_eq!(request.headers()["content-type"], "application/x-protobuf");
    headers
        .lock()
        .expect("the collector lock is not poisoned")
        .push(request.headers().clone());
    let body = request
        .into_body()
        .collect()
        .await
        .expect("the export body reads")
        .to_bytes();
    let export = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");

    let received = export
        .resource_spans
        .into_iter()
        .flat_map(|resource| resource.scope_spans)
        .flat_map(|scope| scope.spans)
        .map(|span| ReceivedSpan {
            name: span.name,
            trace_id: hex(&span.trace_id),
            span_id: hex(&span.span_id),
            parent_span_id: hex(&span.parent_span_id),
            kind: span.kind,
            status_code: span.status.as_ref().map_or(0, |status| status.code),
            status_message: span.status.map(|status| status.message).unwrap_or_default(),
            attributes: span
                .attributes
                .into_iter()
                .map(|kv| {
                    (
                        kv.key,
                        kv.value.and_then(|v| v.value).map(text).unwrap_or_default(),
                    )
                })
                .collect(),
        });
    spans
        .lock()
        .expect("the collector lock is not poisoned")
        .extend(received);
    Ok(Response::new(Full::new(Bytes::new())))
}

fn text(value: AnyValue) -> String {
    match value {
        AnyValue::StringValue(text) => text,
        AnyValue::BoolValue(flag) => flag.to_string(),
        AnyValue::IntValue(number) => number.to_string(),
        AnyValue::DoubleValue(number) => number.to_string(),
        AnyValue::ArrayValue(array) => {
            let items: Vec<String> = array
                .values
                .into_iter()
                .filter_map(|item| item.value.map(text))
                .collect();
            format!("[{}]", items.join(","))
        }
        other => format!("{other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
