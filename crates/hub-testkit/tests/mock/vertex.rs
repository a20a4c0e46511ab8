//! The Vertex AI emulator over sockets: the token grant a service account makes, the tokens it
//! issues and their expiry, generate, stream and predict, and Google's refusals.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::Method;
use hub_testkit::{
    TEST_SERVICE_ACCOUNT_EMAIL, TEST_SERVICE_ACCOUNT_KEY_ID, VertexMock, VertexMockConfig,
};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};

use crate::client::{Reply, send};

const MODELS: &str = "/v1/projects/hub-test-project/locations/us-central1/publishers/google/models";

async fn mock(config: VertexMockConfig) -> VertexMock {
    VertexMock::start(config).await.expect("the mock starts")
}

/// The grant a service account makes, signed with the key from the mock's key file.
fn assertion(mock: &VertexMock) -> String {
    let key_file: Value =
        serde_json::from_str(&mock.service_account_json()).expect("the key file is JSON");
    let pem = key_file["private_key"]
        .as_str()
        .expect("the key file holds a key");
    let der: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = STANDARD.decode(der).expect("the key is base64");
    let key = RsaKeyPair::from_pkcs8(&der).expect("the key is PKCS#8 RSA");

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs();
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": TEST_SERVICE_ACCOUNT_KEY_ID});
    let claims = json!({"iss": TEST_SERVICE_ACCOUNT_EMAIL, "aud": mock.token_uri(),
        "scope": "https://www.googleapis.com/auth/cloud-platform", "iat": now, "exp": now + 3600});
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signed.as_bytes(),
        &mut signature,
    )
    .expect("signing works");
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

async fn grant(mock: &VertexMock, assertion: &str) -> Reply {
    let body = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"
    );
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    send(
        mock.addr(),
        Method::POST,
        "/token",
        &headers,
        Bytes::from(body),
    )
    .await
}

async fn token(mock: &VertexMock) -> String {
    let reply = grant(mock, &assertion(mock)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.json()["access_token"]
        .as_str()
        .expect("a token is granted")
        .to_owned()
}

async fn call(mock: &VertexMock, token: &str, method: &str, body: &Value) -> Reply {
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let path = format!("{MODELS}/{method}");
    send(
        mock.addr(),
        Method::POST,
        &path,
        &headers,
        Bytes::from(body.to_string()),
    )
    .await
}

fn ask(text: &str) -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": text}]}]})
}

#[tokio::test]
async fn a_granted_token_opens_generate_content() {
    let mock = mock(VertexMockConfig::default()).await;

    let granted = grant(&mock, &assertion(&mock)).await.json();
    assert_eq!(granted["token_type"], "Bearer");
    assert_eq!(granted["expires_in"], 3600);
    let token = granted["access_token"].as_str().unwrap();

    let reply = call(
        &mock,
        token,
        "gemini-2.5-flash:generateContent",
        &ask("Hi there"),
    )
    .await;

    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let body = reply.json();
    assert_eq!(
        body["candidates"][0]["content"]["parts"][0]["text"],
        "Echo: Hi there"
    );
    assert_eq!(body["candidates"][0]["finishReason"], "STOP");
    assert_eq!(body["usageMetadata"]["totalTokenCount"], 5);
    assert_eq!(body["modelVersion"], "gemini-2.5-flash");
}

#[tokio::test]
async fn a_bad_grant_gets_an_oauth_error() {
    let mock = mock(VertexMockConfig::default()).await;
    let jwt = assertion(&mock);
    // The signature's first character swapped for another: still base64url, no longer valid.
    let (signed, signature) = jwt.rsplit_once('.').unwrap();
    let swapped = if signature.starts_with('A') { 'B' } else { 'A' };
    let tampered = format!("{signed}.{swapped}{}", &signature[1..]);

    let reply = grant(&mock, &tampered).await;

    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"], "invalid_grant");
    assert_eq!(reply.json()["error_description"], "Invalid JWT Signature.");
}

#[tokio::test]
async fn tokens_expire() {
    let mock = mock(VertexMockConfig {
        token_lifetime: Duration::from_secs(1),
        ..VertexMockConfig::default()
    })
    .await;
    let token = token(&mock).await;
    let method = "gemini-2.5-flash:generateContent";

    assert_eq!(call(&mock, &token, method, &ask("x")).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let expired = call(&mock, &token, method, &ask("x")).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.json()["error"]["status"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_api_key_is_taken_when_configured() {
    let mock = mock(VertexMockConfig {
        api_key: Some("vertex-key".to_owned()),
        ..VertexMockConfig::default()
    })
    .await;
    let path = format!("{MODELS}/gemini-2.5-flash:generateContent");
    let body = Bytes::from(ask("x").to_string());

    let good = [
        ("x-goog-api-key", "vertex-key"),
        ("content-type", "application/json"),
    ];
    let reply = send(mock.addr(), Method::POST, &path, &good, body.clone()).await;
    assert_eq!(reply.status, 200);

    let bad = [
        ("x-goog-api-key", "nope"),
        ("content-type", "application/json"),
    ];
    let reply = send(mock.addr(), Method::POST, &path, &bad, body).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["status"], "INVALID_ARGUMENT");
}

#[tokio::test]
async fn a_stream_is_sse_without_done_or_a_json_array_without_alt() {
    let mock = mock(VertexMockConfig::default()).await;
    let token = token(&mock).await;
    let method = "gemini-2.5-flash:streamGenerateContent";

    let sse = call(&mock, &token, &format!("{method}?alt=sse"), &ask("one two")).await;
    assert!(
        sse.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events: Vec<Value> = sse
        .events()
        .iter()
        .map(|event| serde_json::from_str(event).expect("every event is JSON, none is [DONE]"))
        .collect();
    let text: String = events
        .iter()
        .map(|event| {
            event["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(text, "Echo: one two");
    assert_eq!(
        events.last().unwrap()["candidates"][0]["finishReason"],
        "STOP"
    );

    let array = call(&mock, &token, method, &ask("one two")).await.json();
    assert_eq!(array.as_array().unwrap().len(), events.len());
}

#[tokio::test]
async fn predict_embeds_each_instance() {
    let mock = mock(VertexMockConfig::default()).await;
    let token = token(&mock).await;
    let body = json!({"instances": [{"content": "a b"}, {"content": "c"}],
                      "parameters": {"autoTruncate": false, "outputDimensionality": 16}});

    let reply = call(&mock, &token, "text-embedding-005:predict", &body).await;

    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let predictions = reply.json()["predictions"].clone();
    assert_eq!(
        predictions[0]["embeddings"]["values"]
            .as_array()
            .unwrap()
            .len(),
        16
    );
    assert_eq!(predictions[1]["embeddings"]["statistics"]["token_count"], 1);
}

#[tokio::test]
async fn google_refusals_name_their_status() {
    let mock = mock(VertexMockConfig::default()).await;
    let token = token(&mock).await;

    let missing = call(&mock, &token, "gemini-9:generateContent", &ask("x")).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["status"], "NOT_FOUND");

    let path = "/v1/projects/other/locations/us-central1/publishers/google/models/\
                gemini-2.5-flash:generateContent";
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let body = Bytes::from(ask("x").to_string());
    let foreign = send(mock.addr(), Method::POST, path, &headers, body).await;
    assert_eq!(foreign.status, 403);

    let unknown = call(
        &mock,
        "ya29.forged",
        "gemini-2.5-flash:generateContent",
        &ask("x"),
    )
    .await;
    assert_eq!(unknown.status, 401);

    let lower_case = json!({"contents": [{"role": "user", "parts": [{"text": "x"}]}],
        "tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "object"}}]}]});
    let refused = call(
        &mock,
        &token,
        "gemini-2.5-flash:generateContent",
        &lower_case,
    )
    .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["error"]["code"], 400);
}

#[tokio::test]
async fn echo_credentials_quotes_a_wrong_api_key_or_token() {
    let mock = mock(VertexMockConfig {
        api_key: Some("vertex-key".to_owned()),
        echo_credentials: true,
        ..VertexMockConfig::default()
    })
    .await;
    let path = format!("{MODELS}/gemini-2.5-flash:generateContent");
    let body = Bytes::from(ask("x").to_string());
    let json = ("content-type", "application/json");

    let key = [("x-goog-api-key", "wrong-vertex-key"), json];
    let reply = send(mock.addr(), Method::POST, &path, &key, body.clone()).await;
    assert_eq!(reply.status, 400);
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.ends_with("Presented: wrong-vertex-key"),
        "{message}"
    );

    let token = [("authorization", "Bearer ya29.not-issued-here"), json];
    let reply = send(mock.addr(), Method::POST, &path, &token, body).await;
    assert_eq!(reply.status, 401);
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.ends_with("Presented: ya29.not-issued-here"),
        "{message}"
    );
}
