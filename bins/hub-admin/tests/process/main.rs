//! The `hub-admin` binary as operators run it: refusing to start without what it needs,
//! migrating, serving the API behind its token, rotating keys, and never logging a secret;
//! and documenting the API, checked by independent tools and a browser.

mod openapi;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hub_testkit::postgres::TestDatabase;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const NEW_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const TOKEN: &str = "admin-process-token-6d2f";
const LITERAL: &str = "sk-admin-literal-41a9c2";
const NAMED: &str = "sk-admin-named-0be7f3";
/// Presented instead of the token; a refusal must not quote it.
const WRONG_TOKEN: &str = "admin-wrong-token-3b5d7f";

/// The binary with only the variables given, logging JSON at every level.
fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hub-admin"));
    command
        .args(args)
        .env_clear()
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "trace")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(args, env).output().expect("hub-admin runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn refuses_to_start_without_what_it_needs() {
    let url = ("DATABASE_URL", "postgres://postgres@127.0.0.1:9/none");
    let key = ("HUB_SECRET_KEY", KEY);
    let token = ("HUB_ADMIN_TOKEN", TOKEN);
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[url, key], "HUB_ADMIN_TOKEN is not set"),
        (
            &[url, key, ("HUB_ADMIN_AUTH", "off")],
            "HUB_ADMIN_AUTH must be `disabled` or unset",
        ),
        (
            &[url, key, token, ("HUB_ADMIN_AUTH", "disabled")],
            "HUB_ADMIN_AUTH=disabled and HUB_ADMIN_TOKEN are both set",
        ),
        (&[url, token], "HUB_SECRET_KEY is not set"),
        (&[key, token], "DATABASE_URL is not set"),
    ];

    for (env, expected) in cases {
        let output = run(&[], env);
        assert!(!output.status.success(), "{env:?}");
        assert!(
            stderr(&output).contains(expected),
            "{env:?}: {}",
            stderr(&output)
        );
    }
    let unknown = run(&["frobnicate"], &[]);
    assert!(
        stderr(&unknown).contains("usage: hub-admin"),
        "{}",
        stderr(&unknown)
    );
}

#[tokio::test]
async fn migrate_applies_the_schema_once() {
    let database = TestDatabase::create().await;
    let env = [("DATABASE_URL", database.url())];

    let first = run(&["migrate"], &env);
    let again = run(&["migrate"], &env);

    assert!(first.status.success(), "{}", stderr(&first));
    // Every migration of the repository's `migrations/`, however many there are by now.
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
        .expect("the migrations folder")
        .count();
    assert!(
        stderr(&first).contains(&format!(r#""applied":{migrations}"#)),
        "{}",
        stderr(&first)
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains(r#""applied":0"#),
        "{}",
        stderr(&again)
    );
}

/// A running `hub-admin`, its address, and its log lines as they come.
struct Admin {
    child: Child,
    addr: SocketAddr,
    logs: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Admin {
    fn start(url: &str, env: &[(&str, &str)]) -> Admin {
        let mut command = command(&[], env);
        command
            .env("DATABASE_URL", url)
            .env("HUB_SECRET_KEY", KEY)
            .env("HOST", "127.0.0.1")
            .env("MANAGEMENT_PORT", "0");
        let mut child = command.spawn().expect("hub-admin starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (send, logs) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });

        let mut seen = Vec::new();
        let addr = loop {
            let line = logs
                .recv_timeout(Duration::from_secs(20))
                .expect("hub-admin says where it listens within 20 s");
            let value: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            seen.push(line);
            if value["fields"]["message"] == "hub-admin listening" {
                let addr = value["fields"]["address"].as_str().expect("an address");
                break addr.parse().expect("a socket address");
            }
        };
        Admin {
            child,
            addr,
            logs,
            seen,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (u16, String) {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("a request");
        let client = Client::builder(TokioExecutor::new()).build_http();
        let response = client.request(request).await.expect("hub-admin answers");
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Stops it as an orchestrator would, and returns every log line it wrote.
    fn stop(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let exit = self.child.wait().expect("hub-admin exits");
        assert!(exit.success(), "hub-admin exits cleanly on SIGTERM: {exit}");
        self.seen.extend(self.logs.try_iter());
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Admin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn dump(url: &str) -> String {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("a connection");
    tokio::spawn(connection);
    let mut dump = String::new();
    for table in [
        "secrets",
        "providers",
        "model_definitions",
        "pipelines",
        "pipeline_plugins",
    ] {
        let rows = client
            .query(&format!("SELECT row_to_json(t)::text FROM {table} t"), &[])
            .await
            .expect("the table reads");
        for row in rows {
            dump.push_str(&row.get::<_, String>(0));
        }
    }
    dump
}

#[tokio::test]
async fn serves_behind_its_token_and_logs_no_secret() {
    let database = TestDatabase::create().await;
    let admin = Admin::start(database.url(), &[("HUB_ADMIN_TOKEN", TOKEN)]);
    let none = &json!({});

    let (status, body) = admin.call(Method::GET, "/health", None, none).await;
    let health: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        (status, health),
        (200, json!({"status": "ok", "database": "reachable"}))
    );
    let path = "/api/v1/management/providers";
    assert_eq!(admin.call(Method::GET, path, None, none).await.0, 401);
    let (status, wrong) = admin.call(Method::GET, path, Some(WRONG_TOKEN), none).await;
    assert_eq!(status, 401);

    let secret = json!({"name": "named", "value": NAMED});
    let secrets = "/api/v1/management/secrets";
    assert_eq!(
        admin
            .call(Method::POST, secrets, Some(TOKEN), &secret)
            .await
            .0,
        201
    );
    let provider = json!({"name": "openai", "provider_type": "openai",
                          "config": {"api_key": {"type": "literal", "value": LITERAL}}});
    let (status, created) = admin.call(Method::POST, path, Some(TOKEN), &provider).await;
    assert_eq!(status, 201, "{created}");
    let refused = json!({"name": "x", "provider_type": "openai", "enabled": LITERAL});
    assert_eq!(
        admin
            .call(Method::POST, path, Some(TOKEN), &refused)
            .await
            .0,
        422
    );
    let (_, listed) = admin.call(Method::GET, path, Some(TOKEN), none).await;
    let (_, secrets_listed) = admin.call(Method::GET, secrets, Some(TOKEN), none).await;

    let logs = admin.stop().join("\n");
    assert!(
        logs.contains("management request"),
        "trace logs were written"
    );
    let dump = dump(database.url()).await;
    let answers = [&created, &listed, &secrets_listed, &wrong];
    for value in [LITERAL, NAMED, TOKEN, KEY, WRONG_TOKEN] {
        assert!(!logs.contains(value), "{value} in the logs");
        assert!(
            answers.iter().all(|answer| !answer.contains(value)),
            "{value} in an answer"
        );
        assert!(!dump.contains(value), "{value} in the database");
    }
}

#[tokio::test]
async fn serves_without_auth_only_when_told() {
    let database = TestDatabase::create().await;
    let admin = Admin::start(database.url(), &[("HUB_ADMIN_AUTH", "disabled")]);

    let (status, _) = admin
        .call(
            Method::GET,
            "/api/v1/management/pipelines",
            None,
            &json!({}),
        )
        .await;

    assert_eq!(status, 200);
    let logs = admin.stop().join("\n");
    assert!(
        logs.contains("management API authentication is disabled"),
        "{logs}"
    );
}

#[tokio::test]
async fn rotate_keys_seals_every_value_under_the_new_key() {
    let database = TestDatabase::create().await;
    let admin = Admin::start(database.url(), &[("HUB_ADMIN_TOKEN", TOKEN)]);
    let secret = json!({"name": "named", "value": NAMED});
    let secrets = "/api/v1/management/secrets";
    assert_eq!(
        admin
            .call(Method::POST, secrets, Some(TOKEN), &secret)
            .await
            .0,
        201
    );
    admin.stop();

    let url = ("DATABASE_URL", database.url());
    let rotated = run(
        &["rotate-keys"],
        &[
            url,
            ("HUB_SECRET_KEY", NEW_KEY),
            ("HUB_PREVIOUS_SECRET_KEYS", KEY),
        ],
    );
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    assert!(
        stderr(&rotated).contains(r#""secrets":1"#),
        "{}",
        stderr(&rotated)
    );

    let forgotten = run(&["rotate-keys"], &[url, ("HUB_SECRET_KEY", KEY)]);
    assert!(!forgotten.status.success());
    assert!(
        stderr(&forgotten).contains("nothing was changed"),
        "{}",
        stderr(&forgotten)
    );
}
