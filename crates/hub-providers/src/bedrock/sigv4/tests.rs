//! The signer against botocore's known answer (`vectors/sigv4.txt`), and the path encoding.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use http::Request;

use super::*;

const VECTOR: &str = include_str!("../vectors/sigv4.txt");
const BODY: &str = r#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#;

/// The final headers botocore added for one session-token case of the vector.
fn expected_headers(session_token: &str) -> Vec<(String, String)> {
    let section = VECTOR
        .split("=== session token: ")
        .find(|section| section.starts_with(session_token))
        .expect("the vector has this case");
    let headers = section
        .split("--- final headers (add_auth) ---")
        .nth(1)
        .expect("the case lists its final headers");
    headers
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect()
}

fn signed(session_token: Option<&str>) -> Request<()> {
    // 2024-01-01T00:00:00Z, the time botocore was frozen at.
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200);
    let model = encode_label("anthropic.claude-3-haiku-20240307-v1:0");
    let mut request = Request::post(format!(
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/{model}/converse"
    ))
    .header("content-type", "application/json")
    .body(())
    .unwrap();
    let credentials = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session_token.map(str::to_owned),
        None,
        "test",
    );

    sign_request(
        &mut request,
        BODY.as_bytes(),
        &credentials,
        "us-east-1",
        time,
    )
    .unwrap();
    request
}

fn assert_matches_vector(request: &Request<()>, case: &str) {
    for (name, value) in expected_headers(case) {
        assert_eq!(
            request.headers()[name.as_str()].to_str().unwrap(),
            value,
            "{name} ({case})"
        );
    }
}

#[test]
fn the_vector_body_is_the_one_signed() {
    assert!(VECTOR.contains(&format!("body: {BODY}")));
}

#[test]
fn signature_matches_botocore_without_a_session_token() {
    let request = signed(None);
    assert_matches_vector(&request, "None");
    assert!(request.headers().get("x-amz-security-token").is_none());
}

#[test]
fn signature_matches_botocore_with_a_session_token() {
    let request = signed(Some("SESSIONTOKEN"));
    assert_matches_vector(&request, "SESSIONTOKEN");
    let authorization = request.headers()["authorization"].to_str().unwrap();
    assert!(
        authorization.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token")
    );
}

#[test]
fn credentials_are_hidden_from_debug_output() {
    let request = signed(Some("SESSIONTOKEN"));
    let text = format!("{:?}", request.headers());
    assert!(!text.contains("SESSIONTOKEN"), "{text}");
    assert!(!text.contains("Signature="), "{text}");
}

/// A log at every level into a buffer, for checking what signing writes.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn signing_logs_no_credential_even_at_trace() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();

    tracing::subscriber::with_default(subscriber, || {
        tracing::trace!("before signing");
        signed(Some("SESSIONTOKEN"));
    });

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("before signing"),
        "the log was captured: {log}"
    );
    for secret in ["AKIDEXAMPLE", "wJalrXUtnFEMI", "SESSIONTOKEN"] {
        assert!(!log.contains(secret), "{secret} in {log}");
    }
}

#[test]
fn labels_keep_only_unreserved_bytes() {
    assert_eq!(
        encode_label("anthropic.claude-3-haiku-20240307-v1:0"),
        "anthropic.claude-3-haiku-20240307-v1%3A0"
    );
    let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0";
    let encoded = concat!(
        "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile",
        "%2Fus.amazon.nova-lite-v1%3A0"
    );
    assert_eq!(encode_label(arn), encoded);
    assert_eq!(encode_label("a b~é"), "a%20b~%C3%A9");
}
