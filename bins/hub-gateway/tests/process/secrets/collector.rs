//! An OTLP/HTTP collector on loopback that keeps every export as it arrived.
//!
//! Protobuf writes strings as their plain UTF-8 bytes, so a marker in any span name, attribute
//! or event shows in the raw body: searching the bytes needs no decoder and misses nothing a
//! decoder would find.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

/// One export: its headers and its body.
#[derive(Debug, Clone)]
pub(crate) struct Export {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// A running collector and what it received.
pub(crate) struct Collector {
    addr: SocketAddr,
    exports: Arc<Mutex<Vec<Export>>>,
}

impl Collector {
    pub(crate) async fn start() -> Collector {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let exports = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&exports);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = Arc::clone(&kept);
                let service =
                    hyper::service::service_fn(move |request| receive(request, Arc::clone(&kept)));
                tokio::spawn(async move {
                    let builder = auto::Builder::new(TokioExecutor::new());
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Collector { addr, exports }
    }

    /// The endpoint a `tracing` plugin takes.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn exports(&self) -> Vec<Export> {
        self.exports.lock().expect("not poisoned").clone()
    }
}

async fn receive(
    request: Request<Incoming>,
    exports: Arc<Mutex<Vec<Export>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|body| body.to_bytes());
    exports.lock().expect("not poisoned").push(Export {
        headers: parts.headers,
        body: body.unwrap_or_default(),
    });
    Ok(Response::new(Full::new(Bytes::new())))
}
