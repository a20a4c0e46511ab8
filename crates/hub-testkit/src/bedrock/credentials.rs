//! [`AwsCredentialsMock`]: the endpoints the AWS credential chain fetches temporary
//! credentials from, on one loopback port.
//!
//! - STS `AssumeRoleWithWebIdentity` (`POST /`, query protocol, XML answer), as used with
//!   `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and `AWS_ENDPOINT_URL_STS`.
//! - The container credentials endpoint (`GET /v2/credentials/hub`), as used with
//!   `AWS_CONTAINER_CREDENTIALS_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
//! - EC2 instance metadata, IMDSv2 only (`PUT /latest/api/token`, then the role and its
//!   credentials under `/latest/meta-data/iam/security-credentials/`), as used with
//!   `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
//!
//! Each hands out the same key, valid for the configured time from the moment it is asked.

use std::convert::Infallible;
use std::io;
use std::time::{Duration, SystemTime};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use bytes::Bytes;
use http::request::Parts;
use http::{Method, Response, StatusCode};
use serde_json::json;

use super::{AwsKey, percent_decode};
use crate::body::{self, MockBody};
use crate::record::RecordedRequest;
use crate::server::{Api, BodyError, Exchange, Pacing, Server};

/// The web identity token STS accepts; write it to the file `AWS_WEB_IDENTITY_TOKEN_FILE`
/// names.
pub const WEB_IDENTITY_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.hub-mock-service-account.c2lnbmF0dXJl";

/// The token the container endpoint requires in `Authorization`.
pub const CONTAINER_AUTHORIZATION_TOKEN: &str = "hub-mock-container-token";

const IMDS_TOKEN: &str = "hub-mock-imds-token";
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const IMDS_ROLE: &str = "hub-instance-role";
const CREDENTIALS_PREFIX: &str = "/latest/meta-data/iam/security-credentials/";

/// The three credential endpoints, which hand out `key`.
#[derive(Debug)]
struct CredentialsApi {
    key: AwsKey,
    valid_for: Duration,
}

/// A running credentials emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct AwsCredentialsMock {
    server: Server<CredentialsApi>,
}

impl AwsCredentialsMock {
    /// Serves `key` (which should carry a session token, as temporary credentials do), each
    /// time valid for `valid_for`.
    pub async fn start(key: AwsKey, valid_for: Duration) -> io::Result<Self> {
        let endpoints = CredentialsApi { key, valid_for };
        let server = Server::start(endpoints, Pacing::default()).await?;
        Ok(AwsCredentialsMock { server })
    }

    /// `http://127.0.0.1:PORT`: the STS endpoint and the instance metadata endpoint.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The container credentials endpoint.
    pub fn container_url(&self) -> String {
        format!("http://{}/v2/credentials/hub", self.server.addr())
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// The credential endpoints stand in for services that never fail on purpose here.
impl Api for CredentialsApi {
    type Fault = Infallible;

    fn answer(
        &self,
        parts: &Parts,
        body: Result<Bytes, BodyError>,
        _: &Exchange,
    ) -> Response<MockBody> {
        let body = body.unwrap_or_default();
        let path = parts.uri.path();
        match (&parts.method, path) {
            (&Method::POST, "/") => sts(self, &body),
            (&Method::GET, "/v2/credentials/hub") => container(self, parts),
            (&Method::PUT, "/latest/api/token") => imds_token(parts),
            (&Method::GET, _) if path.starts_with(CREDENTIALS_PREFIX) => imds(self, parts),
            _ => text(StatusCode::NOT_FOUND, "Not Found"),
        }
    }
}

fn text(status: StatusCode, text: &'static str) -> Response<MockBody> {
    body::full(status, "text/plain", Bytes::from_static(text.as_bytes()))
}

fn header<'p>(parts: &'p Parts, name: &str) -> Option<&'p str> {
    parts
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
}

/// When credentials handed out now expire, in RFC 3339.
fn expiration(api: &CredentialsApi) -> String {
    DateTime::from(SystemTime::now() + api.valid_for)
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

fn session_token(api: &CredentialsApi) -> &str {
    api.key.session_token.as_deref().unwrap_or_default()
}

fn sts(api: &CredentialsApi, body: &[u8]) -> Response<MockBody> {
    let form = String::from_utf8_lossy(body);
    let field = |name: &str| {
        form.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| percent_decode(value, true))
    };
    let valid = field("Action").as_deref() == Some("AssumeRoleWithWebIdentity")
        && field("Version").as_deref() == Some("2011-06-15")
        && field("RoleArn").is_some()
        && field("RoleSessionName").is_some();
    if !valid {
        return sts_error(
            "InvalidParameterValue",
            "The request is not AssumeRoleWithWebIdentity.",
        );
    }
    if field("WebIdentityToken").as_deref() != Some(WEB_IDENTITY_TOKEN) {
        return sts_error(
            "InvalidIdentityToken",
            "Couldn't retrieve verification key from your identity provider.",
        );
    }

    let role = field("RoleArn").unwrap_or_default();
    let xml = format!(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <AssumeRoleWithWebIdentityResult>\
         <Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
         <SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>\
         <AssumedRoleUser><Arn>{role}/hub</Arn><AssumedRoleId>AROAMOCK:hub</AssumedRoleId>\
         </AssumedRoleUser><Audience>sts.amazonaws.com</Audience>\
         </AssumeRoleWithWebIdentityResult>\
         <ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000001</RequestId>\
         </ResponseMetadata></AssumeRoleWithWebIdentityResponse>",
        api.key.access_key_id,
        api.key.secret_access_key,
        session_token(api),
        expiration(api)
    );
    body::full(StatusCode::OK, "text/xml", Bytes::from(xml))
}

fn sts_error(code: &str, message: &str) -> Response<MockBody> {
    let xml = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
         <Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>00000000-0000-4000-8000-000000000002</RequestId></ErrorResponse>"
    );
    body::full(StatusCode::BAD_REQUEST, "text/xml", Bytes::from(xml))
}

fn container(api: &CredentialsApi, parts: &Parts) -> Response<MockBody> {
    if header(parts, "authorization") != Some(CONTAINER_AUTHORIZATION_TOKEN) {
        return text(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let credentials = json!({
        "AccessKeyId": api.key.access_key_id,
        "SecretAccessKey": api.key.secret_access_key,
        "Token": session_token(api),
        "Expiration": expiration(api),
        "RoleArn": "arn:aws:iam::123456789012:role/hub-task-role",
    });
    body::full(
        StatusCode::OK,
        "application/json",
        Bytes::from(credentials.to_string()),
    )
}

/// IMDSv2's session token, for a TTL between 1 second and 6 hours, which the answer repeats
/// in the same header.
fn imds_token(parts: &Parts) -> Response<MockBody> {
    let ttl = header(parts, TTL_HEADER)
        .and_then(|ttl| ttl.parse::<u32>().ok())
        .filter(|ttl| (1..=21_600).contains(ttl));
    let Some(ttl) = ttl else {
        return text(StatusCode::BAD_REQUEST, "Bad Request");
    };
    let mut response = text(StatusCode::OK, IMDS_TOKEN);
    response
        .headers_mut()
        .insert(TTL_HEADER, http::HeaderValue::from(ttl));
    response
}

fn imds(api: &CredentialsApi, parts: &Parts) -> Response<MockBody> {
    if header(parts, "x-aws-ec2-metadata-token") != Some(IMDS_TOKEN) {
        return text(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let role = &parts.uri.path()[CREDENTIALS_PREFIX.len()..];
    if role.is_empty() {
        return text(StatusCode::OK, IMDS_ROLE);
    }
    if role != IMDS_ROLE {
        return text(StatusCode::NOT_FOUND, "Not Found");
    }

    let credentials = json!({
        "Code": "Success",
        "LastUpdated": DateTime::from(SystemTime::now()).fmt(Format::DateTime).unwrap_or_default(),
        "Type": "AWS-HMAC",
        "AccessKeyId": api.key.access_key_id,
        "SecretAccessKey": api.key.secret_access_key,
        "Token": session_token(api),
        "Expiration": expiration(api),
    });
    body::full(
        StatusCode::OK,
        "text/plain",
        Bytes::from(credentials.to_string()),
    )
}
