//! Service-account auth: key files, the signed assertion, and tokens shared, refreshed and
//! refused, against the Vertex emulator's token endpoint.

use std::time::Duration;

use hub_testkit::{TEST_SERVICE_ACCOUNT_EMAIL, VertexMock, VertexMockConfig};
use serde_json::Value;

use super::*;
use crate::{ClientSettings, HttpClient};

fn upstream() -> Upstream {
    let client = HttpClient::new(&ClientSettings {
        connect_timeout: Duration::from_secs(1),
        limits: crate::UpstreamLimits::default(),
    })
    .unwrap();
    Upstream {
        provider: "vertex".to_owned(),
        client,
        timeout: Duration::from_secs(5),
        redactor: crate::redact::Redactor::default(),
    }
}

async fn mock(token_lifetime: Duration) -> VertexMock {
    let config = VertexMockConfig {
        token_lifetime,
        ..VertexMockConfig::default()
    };
    VertexMock::start(config).await.unwrap()
}

fn tokens(mock: &VertexMock) -> TokenSource {
    let account = ServiceAccount::from_json(&mock.service_account_json(), "credentials_json");
    TokenSource::new(account.unwrap(), upstream())
}

fn token_requests(mock: &VertexMock) -> usize {
    mock.requests()
        .iter()
        .filter(|request| request.path == "/token")
        .count()
}

#[tokio::test]
async fn one_token_serves_a_burst_of_requests() {
    let mock = mock(Duration::from_secs(3600)).await;
    let tokens = Arc::new(tokens(&mock));

    let calls = (0..20).map(|_| {
        let tokens = Arc::clone(&tokens);
        tokio::spawn(async move { tokens.bearer().await.unwrap() })
    });
    let headers: Vec<HeaderValue> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    assert!(headers.iter().all(|header| *header == headers[0]));
    assert!(headers[0].to_str().unwrap().starts_with("Bearer ya29."));
    assert!(headers[0].is_sensitive());
    assert_eq!(token_requests(&mock), 1);
}

#[tokio::test]
async fn a_token_is_replaced_before_it_expires() {
    let mock = mock(Duration::from_secs(2)).await;
    let tokens = tokens(&mock);

    let first = tokens.bearer().await.unwrap();
    assert_eq!(tokens.bearer().await.unwrap(), first, "still fresh");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = tokens.bearer().await.unwrap();

    assert_ne!(second, first, "half its life gone, the token is replaced");
    assert_eq!(token_requests(&mock), 2);
}

#[tokio::test]
async fn a_refused_grant_names_the_reason_and_no_secret() {
    let mock = mock(Duration::from_secs(3600)).await;
    let mut key_file: Value = serde_json::from_str(&mock.service_account_json()).unwrap();
    key_file["client_email"] = Value::from("intruder@example.iam.gserviceaccount.com");
    let account = ServiceAccount::from_json(&key_file.to_string(), "credentials_json").unwrap();

    let error = TokenSource::new(account, upstream())
        .bearer()
        .await
        .unwrap_err();

    assert_eq!(error.status(), 502);
    assert!(!error.is_retryable());
    let message = error.to_body().error.message;
    assert_eq!(
        message,
        "vertex: the token endpoint refused the service account: invalid_grant: Invalid email \
         or User ID"
    );
}

#[tokio::test]
async fn an_unreachable_token_endpoint_says_so() {
    let mock = mock(Duration::from_secs(3600)).await;
    let key_file = mock.service_account_json();
    mock.shutdown().await;
    let account = ServiceAccount::from_json(&key_file, "credentials_json").unwrap();

    let error = TokenSource::new(account, upstream())
        .bearer()
        .await
        .unwrap_err();

    assert!(error.is_retryable());
    assert!(
        error
            .to_string()
            .starts_with("vertex: upstream unreachable: token endpoint: "),
        "{error}"
    );
}

#[tokio::test]
async fn the_assertion_names_the_account_scope_and_endpoint() {
    let mock = mock(Duration::from_secs(3600)).await;
    let account =
        ServiceAccount::from_json(&mock.service_account_json(), "credentials_json").unwrap();

    let jwt = account.assertion(1_700_000_000).unwrap();

    let segments: Vec<&str> = jwt.split('.').collect();
    assert_eq!(segments.len(), 3);
    let decode = |segment: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    };
    assert_eq!(decode(segments[0])["alg"], "RS256");
    assert_eq!(
        decode(segments[1]),
        json!({"iss": TEST_SERVICE_ACCOUNT_EMAIL, "scope": CLOUD_PLATFORM,
               "aud": mock.token_uri(), "iat": 1_700_000_000, "exp": 1_700_003_600})
    );
    assert_eq!(URL_SAFE_NO_PAD.decode(segments[2]).unwrap().len(), 256);
}

#[test]
fn broken_key_files_are_refused_without_quoting_them() {
    let cases = [
        ("{not json", "not a service-account key file"),
        (
            r#"{"type": "authorized_user", "client_email": "a", "private_key": "k"}"#,
            "the key file's type is `authorized_user`, not `service_account`",
        ),
        (
            r#"{"type": "service_account", "client_email": "a", "private_key": "s3cret"}"#,
            "`private_key` is not a PEM `PRIVATE KEY`",
        ),
        (
            r#"{"type": "service_account", "client_email": "a",
                "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}"#,
            "`private_key` is not a usable RSA key",
        ),
    ];

    for (json, reason) in cases {
        let error = ServiceAccount::from_json(json, "credentials_json").unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("credentials_json: {reason}")),
            "{message}"
        );
        assert!(
            !message.contains("s3cret") && !message.contains("AAAA"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn debug_output_holds_no_key() {
    let mock = mock(Duration::from_secs(3600)).await;
    let source = tokens(&mock);
    source.bearer().await.unwrap();

    let debug = format!("{source:?}");

    assert!(debug.contains(TEST_SERVICE_ACCOUNT_EMAIL));
    assert!(
        !debug.contains("PRIVATE") && !debug.contains("ya29"),
        "{debug}"
    );
}

#[test]
fn lifetimes_are_read_and_refreshes_come_early() {
    assert_eq!(lifetime(Some(&json!(3599))), Duration::from_secs(3599));
    assert_eq!(lifetime(Some(&json!("120"))), Duration::from_secs(120));
    assert_eq!(lifetime(Some(&json!(-1))), Duration::from_secs(3600));
    assert_eq!(lifetime(None), Duration::from_secs(3600));

    assert_eq!(
        refresh_after(Duration::from_secs(3600)),
        Duration::from_secs(3300)
    );
    assert_eq!(
        refresh_after(Duration::from_secs(2)),
        Duration::from_secs(1)
    );
}
