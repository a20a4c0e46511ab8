//! The management API documents itself: a valid OpenAPI 3.1 spec at `/openapi.json` and
//! Swagger UI at `/swagger-ui`, both open without the token; and the real service, on a real
//! database, answers as its spec says when schemathesis throws generated requests at it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use http::Method;
use hub_testkit::postgres::TestDatabase;
use serde_json::Value;

use crate::{Admin, TOKEN};

/// The pinned property-based API tester.
const SCHEMATHESIS: &str = "schemathesis==4.32.5\n";

/// What the service is held to: never a server error, and every answer's status, content
/// type and body as the spec documents them.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance";

fn tools() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documentation_is_open_and_the_spec_valid() {
    let database = TestDatabase::create().await;
    let admin = Admin::start(database.url(), &[("HUB_ADMIN_TOKEN", TOKEN)]);
    let none = &Value::Null;

    let (status, spec) = admin.call(Method::GET, "/openapi.json", None, none).await;
    let (page, _) = admin.call(Method::GET, "/swagger-ui", None, none).await;
    let (asset, _) = admin
        .call(Method::GET, "/swagger-ui/swagger-ui.css", None, none)
        .await;
    let (api, _) = admin
        .call(Method::GET, "/api/v1/management/providers", None, none)
        .await;

    assert_eq!((status, page, asset), (200, 200, 200));
    assert_eq!(api, 401, "the API itself still needs the token");
    tokio::task::spawn_blocking(move || {
        hub_testkit::python::validate_openapi(tools(), spec.as_bytes());
    })
    .await
    .expect("the validator's task ends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_lists_every_operation_in_a_browser() {
    let database = TestDatabase::create().await;
    let admin = Admin::start(database.url(), &[("HUB_ADMIN_TOKEN", TOKEN)]);
    let url = format!("http://{}/swagger-ui", admin.addr);

    let dom = tokio::task::spawn_blocking(move || {
        hub_testkit::browser::dump_dom(&url, Duration::from_secs(15))
    })
    .await
    .expect("the browser's task ends");

    // Swagger UI writes each operation's path into the page from the spec it fetched.
    for collection in ["providers", "model-definitions", "pipelines", "secrets"] {
        for path in [
            format!("/api/v1/management/{collection}"),
            format!("/api/v1/management/{collection}/{{id}}"),
        ] {
            let rendered = format!("class=\"opblock-summary-path\" data-path=\"{path}\"");
            assert!(dom.contains(&rendered), "{path} is not listed:\n{dom}");
        }
    }
    assert!(
        dom.contains("Hub management API"),
        "the spec's title is shown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_get_the_answers_the_spec_documents() {
    let database = TestDatabase::create().await;
    let admin = Admin::start(
        database.url(),
        &[("HUB_ADMIN_TOKEN", TOKEN), ("RUST_LOG", "info")],
    );
    let spec = format!("http://{}/openapi.json", admin.addr);

    let output = tokio::task::spawn_blocking(move || {
        let venv = hub_testkit::python::virtualenv(tools(), "schemathesis", SCHEMATHESIS);
        // Hypothesis keeps its example database in the working directory.
        let work = tempfile::tempdir().expect("a working directory");
        Command::new(venv.join("bin/schemathesis"))
            .current_dir(work.path())
            .env("NO_COLOR", "1")
            .args(["run", &spec])
            .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
            .args(["--checks", CHECKS])
            // About a minute on two cores; a fixed seed so a finding can be replayed.
            .args([
                "--max-examples",
                "100",
                "--seed",
                "20261204",
                "--workers",
                "2",
            ])
            .output()
            .expect("schemathesis runs")
    })
    .await
    .expect("schemathesis' task ends");

    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found answers the spec does not document:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("passed"), "{report}");
}
