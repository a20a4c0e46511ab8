//! Without static keys, the gateway signs with credentials from the AWS credential chain:
//! environment variables, the shared credentials file, web identity through STS, the
//! container endpoint and instance metadata; and refreshes them before they expire. Each
//! source is set up alone in the process's environment, against local emulators.

use std::time::Duration;

use hub_testkit::{
    AwsCredentialsMock, AwsKey, BedrockMock, BedrockMockConfig, CONTAINER_AUTHORIZATION_TOKEN,
    RecordedRequest, WEB_IDENTITY_TOKEN,
};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::bedrock_config;
use crate::common::{GatewayProcess, command};

/// The temporary credentials every source hands out.
fn chain_key() -> AwsKey {
    AwsKey::new("ASIACHAIN", "chain-secret").with_session_token("chain-session-token")
}

/// A Bedrock emulator that accepts only the chain's key.
async fn bedrock() -> BedrockMock {
    BedrockMock::start(BedrockMockConfig {
        keys: vec![chain_key()],
        ..BedrockMockConfig::default()
    })
    .await
    .expect("the emulator starts")
}

async fn credentials(valid_for: Duration) -> AwsCredentialsMock {
    AwsCredentialsMock::start(chain_key(), valid_for)
        .await
        .expect("the credentials emulator starts")
}

/// Starts the gateway with no static keys and `env` set, in a directory holding `files`;
/// `{dir}` in a variable or a file stands for that directory.
fn gateway(
    bedrock: &BedrockMock,
    env: &[(&str, String)],
    files: &[(&str, &str)],
) -> GatewayProcess {
    let (mut command, dir) = command(&bedrock_config(&bedrock.base_url(), ""));
    let in_dir = |value: &str| value.replace("{dir}", &dir.path().display().to_string());
    for (name, contents) in files {
        std::fs::write(dir.path().join(name), in_dir(contents)).expect("a file is written");
    }
    for (name, value) in env {
        command.env(name, in_dir(value));
    }
    GatewayProcess::start(command, dir)
}

/// One chat call, answered with 200 and the echo.
async fn chat(gateway: &GatewayProcess) {
    let body = r#"{"model":"nova","messages":[{"role":"user","content":"hi"}]}"#;
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: hub\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(gateway.addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut response))
        .await
        .expect("the gateway answers within 20 s")
        .expect("read");

    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 200"), "{response}");
    let body: Value = serde_json::from_str(body).expect("a JSON body");
    assert_eq!(body["choices"][0]["message"]["content"], "Echo: hi");
}

/// Bedrock saw a call signed with the chain's key and its session token.
fn assert_signed_by_chain(bedrock: &BedrockMock) {
    let sent = bedrock.requests().pop().expect("Bedrock saw the call");
    let authorization = sent.header("authorization").unwrap_or_default();
    assert!(
        authorization.contains("Credential=ASIACHAIN/"),
        "{authorization}"
    );
    assert_eq!(
        sent.header("x-amz-security-token"),
        Some("chain-session-token")
    );
}

fn paths(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .map(|request| format!("{} {}", request.method, request.path))
        .collect()
}

#[tokio::test]
async fn environment_variables() {
    let bedrock = bedrock().await;
    let env = [
        ("AWS_ACCESS_KEY_ID", "ASIACHAIN".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "chain-secret".to_owned()),
        ("AWS_SESSION_TOKEN", "chain-session-token".to_owned()),
    ];
    let gateway = gateway(&bedrock, &env, &[]);

    chat(&gateway).await;
    assert_signed_by_chain(&bedrock);
}

#[tokio::test]
async fn the_shared_credentials_file_and_a_named_profile() {
    let bedrock = bedrock().await;
    let file = "[default]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = other\n\n\
                [hub]\naws_access_key_id = ASIACHAIN\naws_secret_access_key = chain-secret\n\
                aws_session_token = chain-session-token\n";
    let env = [
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "{dir}/credentials".to_owned(),
        ),
        ("AWS_CONFIG_FILE", "{dir}/config".to_owned()),
        ("AWS_PROFILE", "hub".to_owned()),
    ];
    let gateway = gateway(&bedrock, &env, &[("credentials", file), ("config", "")]);

    chat(&gateway).await;
    assert_signed_by_chain(&bedrock);
}

#[tokio::test]
async fn a_profile_with_a_credential_process() {
    let bedrock = bedrock().await;
    let profile = "[profile hub]\ncredential_process = cat {dir}/process.json\n";
    let output = r#"{"Version": 1, "AccessKeyId": "ASIACHAIN", "SecretAccessKey": "chain-secret",
                     "SessionToken": "chain-session-token"}"#;
    let env = [
        ("AWS_CONFIG_FILE", "{dir}/config".to_owned()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "{dir}/credentials".to_owned(),
        ),
        ("AWS_PROFILE", "hub".to_owned()),
    ];
    let files = [
        ("config", profile),
        ("credentials", ""),
        ("process.json", output),
    ];
    let gateway = gateway(&bedrock, &env, &files);

    chat(&gateway).await;
    assert_signed_by_chain(&bedrock);
}

#[tokio::test]
async fn web_identity_through_sts() {
    let bedrock = bedrock().await;
    let sts = credentials(Duration::from_secs(3600)).await;
    let env = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "{dir}/token".to_owned()),
        (
            "AWS_ROLE_ARN",
            "arn:aws:iam::123456789012:role/hub".to_owned(),
        ),
        ("AWS_ROLE_SESSION_NAME", "hub-gateway".to_owned()),
        ("AWS_ENDPOINT_URL_STS", sts.base_url()),
    ];
    let gateway = gateway(&bedrock, &env, &[("token", WEB_IDENTITY_TOKEN)]);

    chat(&gateway).await;
    assert_signed_by_chain(&bedrock);
    let sent = sts.requests();
    assert_eq!(paths(&sent), ["POST /"]);
    assert!(
        sent[0].header("authorization").is_none(),
        "AssumeRoleWithWebIdentity is unsigned"
    );
}

#[tokio::test]
async fn the_container_credentials_endpoint() {
    let bedrock = bedrock().await;
    let container = credentials(Duration::from_secs(3600)).await;
    let env = [
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            container.container_url(),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            CONTAINER_AUTHORIZATION_TOKEN.to_owned(),
        ),
    ];
    let gateway = gateway(&bedrock, &env, &[]);

    chat(&gateway).await;
    chat(&gateway).await;
    assert_signed_by_chain(&bedrock);
    assert_eq!(
        paths(&container.requests()),
        ["GET /v2/credentials/hub"],
        "credentials valid for an hour are fetched once and shared"
    );
}

#[tokio::test]
async fn instance_metadata_with_imdsv2() {
    let bedrock = bedrock().await;
    let imds = credentials(Duration::from_secs(3600)).await;
    let env = [("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.base_url())];
    let gateway = gateway(&bedrock, &env, &[]);

    chat(&gateway).await;
    assert_signed_by_chain(&bedrock);
    let seen = paths(&imds.requests());
    assert_eq!(
        seen.first().map(String::as_str),
        Some("PUT /latest/api/token"),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|path| path.ends_with("/security-credentials/hub-instance-role")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn credentials_about_to_expire_are_fetched_again() {
    let bedrock = bedrock().await;
    // Two minutes is inside the five-minute refresh window: every call needs fresh ones.
    let container = credentials(Duration::from_secs(120)).await;
    let env = [
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            container.container_url(),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            CONTAINER_AUTHORIZATION_TOKEN.to_owned(),
        ),
    ];
    let gateway = gateway(&bedrock, &env, &[]);

    chat(&gateway).await;
    chat(&gateway).await;
    assert_eq!(container.requests().len(), 2);
}
