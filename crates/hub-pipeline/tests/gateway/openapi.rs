//! The gateway documents itself: a valid OpenAPI 3.1 spec at `/openapi.json`, checked by an
//! independent validator, and Swagger UI at `/swagger-ui` that a real browser renders from
//! files the gateway serves itself, without an access key even where the API needs one.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use http::{Method, Request, Response, StatusCode, Uri};
use hub_testkit::MockConfig;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::common::Harness;

const KEY: &str = "hub-ci-0123456789abcdef0123456789abcdef";

/// A gateway whose API needs an access key.
async fn locked() -> Harness {
    Harness::start_with(MockConfig::default(), |config| {
        config["general"] = json!({"access_keys": [
            {"name": "ci", "key": KEY}
        ]});
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spec_is_valid_openapi() {
    let hub = Harness::start().await;

    let reply = hub.call(Method::GET, "/openapi.json", &[], "").await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "application/json");
    let spec: Value = reply.json();
    assert_eq!(spec["openapi"], "3.1.0");
    let body = reply.body.clone();
    tokio::task::spawn_blocking(move || {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        hub_testkit::python::validate_openapi(root, &body);
    })
    .await
    .expect("the validator's task ends");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_lists_every_operation_in_a_browser() {
    let hub = locked().await;
    let url = format!("http://{}/swagger-ui", hub.addr);

    let dom = tokio::task::spawn_blocking(move || {
        hub_testkit::browser::dump_dom(&url, Duration::from_secs(15))
    })
    .await
    .expect("the browser's task ends");

    // Swagger UI writes each operation's path into the page from the spec it fetched.
    for path in [
        "/api/v1/chat/completions",
        "/api/v1/completions",
        "/api/v1/embeddings",
        "/api/v1/models/{model}",
        "/health",
        "/metrics",
    ] {
        let rendered = format!("class=\"opblock-summary-path\" data-path=\"{path}\"");
        assert!(dom.contains(&rendered), "{path} is not listed:\n{dom}");
    }
    assert!(dom.contains("Hub gateway"), "the spec's title is shown");
    hub.stop().await;
}

/// The prefix [`prefix_proxy`] serves the gateway beneath.
const PREFIX: &str = "/hub";

/// A proxy that serves the gateway at `gateway` beneath [`PREFIX`], as an ingress routing by
/// path does: it strips the prefix and forwards the rest; runs until the test ends.
async fn prefix_proxy(gateway: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().expect("an address");
    let client: Client<HttpConnector, Incoming> =
        Client::builder(TokioExecutor::new()).build_http();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let client = client.clone();
            let forward = service_fn(move |request: Request<Incoming>| {
                let client = client.clone();
                async move {
                    let (mut parts, body) = request.into_parts();
                    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
                    let rest = path
                        .strip_prefix(PREFIX)
                        .unwrap_or("/not-beneath-the-prefix");
                    parts.uri =
                        Uri::try_from(format!("http://{gateway}{rest}")).expect("a gateway URI");
                    let answer: Response<Incoming> =
                        client.request(Request::from_parts(parts, body)).await?;
                    Ok::<_, hyper_util::client::legacy::Error>(answer)
                }
            });
            tokio::spawn(async move {
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), forward);
                let _ = connection.await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_works_beneath_a_proxys_path_prefix() {
    let hub = locked().await;
    let proxy = prefix_proxy(hub.addr).await;

    let slash = hub.call(Method::GET, "/swagger-ui/", &[], "").await;
    assert_eq!(slash.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(slash.headers["location"], "../swagger-ui");

    // Through the redirect, then the page's files and the spec, all beneath the prefix.
    let url = format!("http://{proxy}{PREFIX}/swagger-ui/");
    let dom = tokio::task::spawn_blocking(move || {
        hub_testkit::browser::dump_dom(&url, Duration::from_secs(15))
    })
    .await
    .expect("the browser's task ends");

    let rendered = "class=\"opblock-summary-path\" data-path=\"/api/v1/chat/completions\"";
    assert!(dom.contains(rendered), "the operations are listed:\n{dom}");
    assert!(dom.contains("Hub gateway"), "the spec's title is shown");
    hub.stop().await;
}

#[tokio::test]
async fn swagger_ui_files_are_served_and_others_are_not() {
    let hub = locked().await;

    let script = hub
        .call(Method::GET, "/swagger-ui/swagger-ui-bundle.js", &[], "")
        .await;
    let missing = hub.call(Method::GET, "/swagger-ui/nope.js", &[], "").await;
    let bearer = format!("Bearer {KEY}");
    let key = ("authorization", bearer.as_str());
    let posted = hub.call(Method::POST, "/openapi.json", &[key], "").await;
    let api = hub.call(Method::GET, "/v1/models", &[], "").await;

    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(
        script.headers["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        api.status,
        StatusCode::UNAUTHORIZED,
        "the API itself needs a key"
    );
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error()["code"], "unknown_url");
    assert_eq!(posted.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(posted.headers["allow"], "GET");
    hub.stop().await;
}
