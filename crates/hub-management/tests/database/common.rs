//! The management API served on a loopback port over a fresh, migrated database of its own,
//! and a small client for it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hub_management::api::{AdminAuth, management_api};
use hub_management::{Database, Keyring, Management};
use hub_testkit::postgres::TestDatabase;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub(crate) const TOKEN: &str = "test-admin-token-0123456789abcdef";
/// 32 bytes in base64: the key secrets are sealed under.
pub(crate) const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// Another key, for rotation.
pub(crate) const NEW_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

pub(crate) const PREFIX: &str = "/api/v1/management";

/// A running management API and the database behind it.
pub(crate) struct Admin {
    pub(crate) database: Database,
    pub(crate) url: String,
    pub(crate) addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    // Last, so the database is dropped after everything that connects to it.
    _test_database: Option<TestDatabase>,
}

/// A response read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.body))
    }

    /// The `error` object, checking the shape every error has.
    pub(crate) fn error(&self) -> Value {
        let error = self.json()["error"].clone();
        for field in ["code", "message", "field", "faults"] {
            assert!(error.get(field).is_some(), "no {field} in {error}");
        }
        error
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Admin {
    /// The API, with auth, over a fresh database.
    pub(crate) async fn start() -> Admin {
        let test_database = TestDatabase::create().await;
        let url = test_database.url().to_owned();
        Admin::serve(&url, Some(test_database), &AdminAuth::Token(TOKEN.into())).await
    }

    /// The API over the database at `url`, which it migrates.
    pub(crate) async fn serve(
        url: &str,
        test_database: Option<TestDatabase>,
        auth: &AdminAuth,
    ) -> Admin {
        let database = Database::connect(url, 4).expect("a pool");
        database.migrate().await.expect("the migrations apply");
        let keyring = Arc::new(Keyring::new(KEY, &[]).expect("a keyring"));
        let management = Management::new(database.clone(), keyring);
        let api = management_api(management, auth).expect("an API");

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(hub_management::api::serve(listener, api, async {
            let _ = stopped.await;
        }));

        Admin {
            database,
            url: url.to_owned(),
            addr,
            client: Client::builder(TokioExecutor::new()).build_http(),
            stop: Some(stop),
            server: Some(server),
            _test_database: test_database,
        }
    }

    /// Sends a request as is, to a path from the root.
    pub(crate) async fn raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body.into())).expect("a request");
        let response = tokio::time::timeout(Duration::from_secs(10), self.client.request(request))
            .await
            .expect("the API answers within 10 s")
            .expect("the API accepts the request");

        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("the body reads").to_bytes();
        Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    /// Sends a request with the token, to a path under the management prefix.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let bearer = format!("Bearer {TOKEN}");
        let mut all = vec![("authorization", bearer.as_str())];
        let body = match body {
            Some(body) => {
                all.push(("content-type", "application/json"));
                body.to_string()
            }
            None => String::new(),
        };
        all.extend_from_slice(headers);
        self.raw(method, &format!("{PREFIX}{path}"), &all, body)
            .await
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, &[], None).await
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::POST, path, &[], Some(body)).await
    }

    pub(crate) async fn put(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::PUT, path, &[], Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, &[], None).await
    }

    /// Creates a resource, asserting it was, and returns it.
    pub(crate) async fn create(&self, collection: &str, body: &Value) -> Value {
        let reply = self.post(&format!("/{collection}"), body).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        reply.json()
    }

    /// The usual set: provider `openai`, model `gpt-4o` on it, and pipeline `default`
    /// routing to it. Returns their ids.
    pub(crate) async fn seed(&self) -> Seeded {
        let provider = self
            .create("providers", &openai_provider("openai", "sk-seed"))
            .await;
        let provider_id = provider["id"].as_str().expect("an id").to_owned();
        let model = self
            .create(
                "model-definitions",
                &model("gpt-4o", "gpt-4o", &provider_id),
            )
            .await;
        let pipeline = self
            .create("pipelines", &chat_pipeline("default", &["gpt-4o"]))
            .await;
        Seeded {
            provider: provider_id,
            model: id(&model),
            pipeline: id(&pipeline),
        }
    }

    /// A client of the database itself, around the service, as an operator's own tools
    /// would be.
    pub(crate) async fn sql(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .expect("a connection");
        tokio::spawn(connection);
        client
    }

    /// Every row of every table of the schema, as text: what someone reading the database
    /// would see.
    pub(crate) async fn dump(&self) -> String {
        let client = self.sql().await;
        let tables = client
            .query(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public'",
                &[],
            )
            .await
            .expect("the catalog reads");

        let mut dump = String::new();
        for table in tables {
            let name: String = table.get(0);
            let rows = client
                .query(&format!("SELECT row_to_json(t)::text FROM {name} t"), &[])
                .await
                .expect("the table reads");
            for row in rows {
                dump.push_str(&row.get::<_, String>(0));
                dump.push('\n');
            }
        }
        dump
    }

    /// Stops the server, then lets the database go.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("the server task ends cleanly");
        }
    }
}

/// Ids of what [`Admin::seed`] created.
pub(crate) struct Seeded {
    pub(crate) provider: String,
    pub(crate) model: String,
    pub(crate) pipeline: String,
}

pub(crate) fn id(resource: &Value) -> String {
    resource["id"].as_str().expect("an id").to_owned()
}

/// An OpenAI provider whose key is a literal.
pub(crate) fn openai_provider(name: &str, key: &str) -> Value {
    json!({
        "name": name,
        "provider_type": "openai",
        "config": {"api_key": {"type": "literal", "value": key}},
    })
}

pub(crate) fn model(key: &str, model_type: &str, provider_id: &str) -> Value {
    json!({"key": key, "model_type": model_type, "provider_id": provider_id})
}

pub(crate) fn chat_pipeline(name: &str, models: &[&str]) -> Value {
    json!({
        "name": name,
        "pipeline_type": "chat",
        "plugins": [
            {"plugin_type": "logging", "config_data": {"level": "info"}},
            {"plugin_type": "model-router", "config_data": {"models": models}},
        ],
    })
}
