//! A Bedrock client for the tests: requests signed by AWS's `aws-sigv4` (as the AWS SDKs
//! sign them), sent over a real socket, and eventstream bodies decoded by
//! `aws-smithy-eventstream`.

use std::net::SocketAddr;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::event_stream::{HeaderValue, Message};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full};
use hub_testkit::{AwsKey, BedrockMock, BedrockMockConfig};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// The default configuration's key.
pub(crate) fn key() -> AwsKey {
    BedrockMockConfig::default().keys[0].clone()
}

pub(crate) async fn mock() -> BedrockMock {
    BedrockMock::start(BedrockMockConfig::default())
        .await
        .expect("the emulator starts")
}

/// How a test request is signed; each field can be spoiled on purpose.
#[derive(Debug, Clone)]
pub(crate) struct Signing {
    pub(crate) key: AwsKey,
    pub(crate) region: &'static str,
    pub(crate) service: &'static str,
    pub(crate) time: SystemTime,
}

impl Signing {
    pub(crate) fn valid() -> Signing {
        Signing {
            key: key(),
            region: "us-east-1",
            service: "bedrock",
            time: SystemTime::now(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    /// The exception name of an error reply, from `x-amzn-errortype`.
    pub(crate) fn exception(&self) -> String {
        let kind = self.headers["x-amzn-errortype"]
            .to_str()
            .expect("the error type is text");
        kind.split(':').next().unwrap_or_default().to_owned()
    }

    /// The frames of an eventstream body.
    pub(crate) fn frames(&self) -> Vec<Message> {
        decode_frames(&self.body).expect("every frame is valid")
    }
}

/// The model id as a path segment, every byte but the unreserved ones escaped.
pub(crate) fn label(model: &str) -> String {
    model
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// `POST /model/{model}/{operation}` with `body`, signed as `signing` says.
pub(crate) async fn call(
    mock: &BedrockMock,
    model: &str,
    operation: &str,
    body: &Value,
    signing: &Signing,
) -> Reply {
    let body = Bytes::from(body.to_string());
    let path = format!("/model/{}/{operation}", label(model));
    let mut request = Request::post(format!("http://{}{path}", mock.addr()))
        .header("host", mock.addr().to_string())
        .header("content-type", "application/json")
        .body(())
        .expect("a valid request");
    sign_request(&mut request, &body, signing);
    send(mock.addr(), request, body).await
}

pub(crate) fn sign_request(request: &mut Request<()>, body: &[u8], signing: &Signing) {
    let identity = Identity::from(Credentials::new(
        signing.key.access_key_id.clone(),
        signing.key.secret_access_key.clone(),
        signing.key.session_token.clone(),
        None,
        "test",
    ));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(signing.region)
        .name(signing.service)
        .time(signing.time)
        .settings(SigningSettings::default())
        .build()
        .expect("every signing parameter is set")
        .into();
    let uri = request.uri().to_string();
    let headers = request.headers().iter().map(|(name, value)| {
        (
            name.as_str(),
            value.to_str().expect("test headers are text"),
        )
    });
    let signable = SignableRequest::new("POST", uri, headers, SignableBody::Bytes(body))
        .expect("a signable request");
    let (instructions, _) = sign(signable, &params)
        .expect("the request signs")
        .into_parts();
    instructions.apply_to_request_http1x(request);
}

/// Sends `request` with `body` on a fresh connection and reads the whole answer.
pub(crate) async fn send(addr: SocketAddr, request: Request<()>, body: Bytes) -> Reply {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);

    let (mut parts, ()) = request.into_parts();
    // hyper's connection API wants the path alone, with Host as a header.
    parts.uri = parts
        .uri
        .path_and_query()
        .map_or("/", |target| target.as_str())
        .parse()
        .expect("a path is a URI");
    let response = sender
        .send_request(Request::from_parts(parts, Full::new(body)))
        .await
        .expect("the emulator answers");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map(|body| body.to_bytes());
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: body.unwrap_or_default(),
    }
}

/// Every frame of `bytes`, or the decoder's complaint.
pub(crate) fn decode_frames(bytes: &[u8]) -> Result<Vec<Message>, String> {
    let mut buffer = BytesMut::from(bytes);
    let mut decoder = MessageFrameDecoder::new();
    let mut frames = Vec::new();
    while !buffer.is_empty() {
        match decoder
            .decode_frame(&mut buffer)
            .map_err(|error| error.to_string())?
        {
            DecodedFrame::Complete(message) => frames.push(message),
            DecodedFrame::Incomplete => return Err("a frame is incomplete".to_owned()),
        }
    }
    Ok(frames)
}

/// A string header of a frame.
pub(crate) fn header<'m>(message: &'m Message, name: &str) -> &'m str {
    message
        .headers()
        .iter()
        .find(|header| header.name().as_str() == name)
        .and_then(|header| match header.value() {
            HeaderValue::String(value) => Some(value.as_str()),
            _ => None,
        })
        .unwrap_or_default()
}

/// A frame's JSON payload.
pub(crate) fn payload(message: &Message) -> Value {
    serde_json::from_slice(message.payload()).expect("payloads are JSON")
}

pub(crate) fn user(text: &str) -> Value {
    serde_json::json!({"messages": [{"role": "user", "content": [{"text": text}]}]})
}
