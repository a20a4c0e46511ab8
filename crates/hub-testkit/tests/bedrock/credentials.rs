//! The credential endpoints: container, instance metadata (IMDSv2) and STS web identity.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};
use hub_testkit::{AwsCredentialsMock, AwsKey, CONTAINER_AUTHORIZATION_TOKEN, WEB_IDENTITY_TOKEN};

use crate::client::{Reply, send};

async fn credentials_mock() -> AwsCredentialsMock {
    let key = AwsKey::new("ASIAMOCK", "mock-secret").with_session_token("mock-token");
    AwsCredentialsMock::start(key, Duration::from_secs(3600))
        .await
        .expect("the credentials emulator starts")
}

async fn request(
    mock: &AwsCredentialsMock,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let addr = mock
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("the base URL holds a socket address");
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{}{path}", mock.base_url()))
        .header("host", "127.0.0.1");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(
        addr,
        request.body(()).expect("a valid request"),
        Bytes::from(body.to_owned()),
    )
    .await
}

#[tokio::test]
async fn the_container_endpoint_wants_its_token() {
    let mock = credentials_mock().await;
    let path = "/v2/credentials/hub";

    let refused = request(&mock, Method::GET, path, &[], "").await;
    assert_eq!(refused.status, 401);

    let auth = [("authorization", CONTAINER_AUTHORIZATION_TOKEN)];
    let answer = request(&mock, Method::GET, path, &auth, "").await.json();
    assert_eq!(answer["AccessKeyId"], "ASIAMOCK");
    assert_eq!(answer["Token"], "mock-token");
    assert!(answer["Expiration"].as_str().unwrap().ends_with('Z'));
    assert_eq!(mock.container_url(), format!("{}{path}", mock.base_url()));
}

#[tokio::test]
async fn instance_metadata_needs_a_session_token_first() {
    let mock = credentials_mock().await;
    let prefix = "/latest/meta-data/iam/security-credentials/";

    assert_eq!(
        request(&mock, Method::GET, prefix, &[], "").await.status,
        401
    );
    let ttl = [("x-aws-ec2-metadata-token-ttl-seconds", "21600")];
    let token = request(&mock, Method::PUT, "/latest/api/token", &ttl, "").await;
    assert_eq!(
        token.headers["x-aws-ec2-metadata-token-ttl-seconds"],
        "21600"
    );
    let token = String::from_utf8(token.body.to_vec()).unwrap();

    let with_token = [("x-aws-ec2-metadata-token", token.as_str())];
    let role = request(&mock, Method::GET, prefix, &with_token, "").await;
    let role = String::from_utf8(role.body.to_vec()).unwrap();
    let path = format!("{prefix}{role}");
    let answer = request(&mock, Method::GET, &path, &with_token, "")
        .await
        .json();
    assert_eq!(answer["Code"], "Success");
    assert_eq!(answer["SecretAccessKey"], "mock-secret");
}

#[tokio::test]
async fn sts_trades_the_web_identity_token_for_credentials() {
    let mock = credentials_mock().await;
    let form = |token: &str| {
        format!(
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15\
             &RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fhub&RoleSessionName=hub\
             &WebIdentityToken={token}"
        )
    };
    let headers = [("content-type", "application/x-www-form-urlencoded")];

    let answer = request(
        &mock,
        Method::POST,
        "/",
        &headers,
        &form(WEB_IDENTITY_TOKEN),
    )
    .await;
    let xml = String::from_utf8(answer.body.to_vec()).unwrap();
    assert_eq!(answer.status, 200);
    assert!(xml.contains("<AccessKeyId>ASIAMOCK</AccessKeyId>"), "{xml}");
    assert!(
        xml.contains("<SessionToken>mock-token</SessionToken>"),
        "{xml}"
    );

    let refused = request(&mock, Method::POST, "/", &headers, &form("forged")).await;
    assert_eq!(refused.status, 400);
    assert!(String::from_utf8_lossy(&refused.body).contains("InvalidIdentityToken"));
}
