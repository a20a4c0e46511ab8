//! A strict emulator of AWS Bedrock Runtime: Converse, ConverseStream and InvokeModel (Titan
//! and Cohere embeddings), behind AWS's SigV4 check.
//!
//! Every request must be signed by one of the configured keys for the configured region and
//! the `bedrock` service, within five minutes of now (or carry a configured Bedrock API key);
//! anything else is refused with 403 as AWS refuses it. Bodies are checked against the
//! service model (botocore's `bedrock-runtime` 2023-09-30) and the rules Bedrock enforces on
//! conversations, and errors come back in Bedrock's rest-json shape. Streams are real
//! `application/vnd.amazon.eventstream` frames, written by AWS's `aws-smithy-eventstream`.
//!
//! The "model" answers like the OpenAI emulator: `Echo: <last user text>`, or a call of the
//! first tool when the tool choice forces one, or when tools are offered and the last user
//! text (with no tool result beside it) mentions weather.
//!
//! [`AwsCredentialsMock`] serves the endpoints the AWS credential chain reads: STS for web
//! identity, the container credentials endpoint, and instance metadata.

mod api;
mod conversation;
mod converse;
mod credentials;
mod error;
mod frames;
mod invoke;
mod reply;
mod sigv4;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use self::api::BedrockApi;
pub use self::credentials::{
    AwsCredentialsMock, CONTAINER_AUTHORIZATION_TOKEN, WEB_IDENTITY_TOKEN,
};
use crate::server::{Pacing, Server};

/// The models a [`BedrockMockConfig::default`] serves. Ids naming `titan-embed` or
/// `cohere.embed` are embedding models, answered on InvokeModel only; the others are chat
/// models, answered on Converse and ConverseStream only.
pub const DEFAULT_BEDROCK_MODELS: [&str; 7] = [
    "amazon.nova-lite-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.anthropic.claude-3-haiku-20240307-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0",
    "amazon.titan-embed-text-v2:0",
    "cohere.embed-english-v3",
    "cohere.embed-v4:0",
];

/// An AWS access key the emulator accepts signatures from.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Temporary credentials carry a session token, which must be sent and signed.
    pub session_token: Option<String>,
}

impl AwsKey {
    /// A long-term key.
    pub fn new(access_key_id: &str, secret_access_key: &str) -> Self {
        AwsKey {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            session_token: None,
        }
    }

    /// Temporary credentials.
    pub fn with_session_token(mut self, session_token: &str) -> Self {
        self.session_token = Some(session_token.to_owned());
        self
    }
}

// Written by hand so that secrets never reach a log line.
impl fmt::Debug for AwsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// How a [`BedrockMock`] listens and what it accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct BedrockMockConfig {
    /// Where to listen; `None` binds `127.0.0.1` on a port the OS picks.
    pub addr: Option<SocketAddr>,
    /// The region signatures must be scoped to. Default `us-east-1`.
    pub region: String,
    /// The keys whose signatures are accepted. Default: AWS's documentation example key.
    pub keys: Vec<AwsKey>,
    /// Bedrock API keys accepted as `Authorization: Bearer`. Default none.
    pub api_keys: Vec<String>,
    /// Whether a refused request's `Authorization` and `X-Amz-Security-Token` are quoted in
    /// the error whole, as AWS quotes the canonical request (signed token included) on a
    /// signature mismatch: the worst case of an upstream that echoes credentials, for testing
    /// that the gateway never passes one on. Default off.
    pub echo_credentials: bool,
    /// Model ids that exist; any other is refused as Bedrock refuses an invalid identifier.
    /// Default [`DEFAULT_BEDROCK_MODELS`].
    pub models: Vec<String>,
    /// Delay before every response head, faults included. Default zero.
    pub latency: Duration,
    /// Delay between two frames of a stream. Default zero.
    pub stream_frame_delay: Duration,
}

impl Default for BedrockMockConfig {
    fn default() -> Self {
        BedrockMockConfig {
            addr: None,
            region: "us-east-1".to_owned(),
            keys: vec![AwsKey::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            )],
            api_keys: Vec::new(),
            echo_credentials: false,
            models: DEFAULT_BEDROCK_MODELS
                .iter()
                .map(|model| (*model).to_owned())
                .collect(),
            latency: Duration::ZERO,
            stream_frame_delay: Duration::ZERO,
        }
    }
}

impl fmt::Debug for BedrockMockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BedrockMockConfig")
            .field("addr", &self.addr)
            .field("region", &self.region)
            .field("keys", &self.keys)
            .field("api_keys", &self.api_keys.len())
            .field("echo_credentials", &self.echo_credentials)
            .field("models", &self.models)
            .field("latency", &self.latency)
            .field("stream_frame_delay", &self.stream_frame_delay)
            .finish()
    }
}

/// A misbehaviour applied to every request received after [`BedrockMock::set_fault`], until
/// it is cleared. The request is read, recorded and its signature checked first: one AWS's
/// front end refuses gets that refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BedrockFault {
    /// Answer with this exception (such as `ThrottlingException`), at the status Bedrock
    /// gives it, in Bedrock's error shape.
    Exception { name: String, message: String },
    /// On ConverseStream, send this many event frames, then an exception frame named like
    /// `throttlingException`, then end the body. Other operations answer normally.
    StreamException {
        after_events: usize,
        exception_type: String,
        message: String,
    },
    /// On ConverseStream, send this many frames, then close the connection mid-body.
    TruncateStream { after_events: usize },
    /// On ConverseStream, flip a bit of this frame's message CRC.
    CorruptFrame { index: usize },
    /// Read the request, then close the connection without a byte.
    ResetBeforeResponse,
    /// Read the request and never answer.
    Stall,
    /// On ConverseStream, send this many frames and the first half of the next, then close
    /// the connection.
    CutMidFrame { after_events: usize },
    /// On ConverseStream, send this many frames, then nothing more, keeping the connection open.
    StallStream { after_events: usize },
    /// On ConverseStream, send the frames up to the middle one (a content delta for answers of
    /// a few words), then repeat that one forever, paced by the frame delay.
    EndlessStream,
    /// On ConverseStream, send the frames up to the middle one, then the prelude of a frame
    /// announcing 16 MiB, then filler bytes forever.
    EndlessFrame,
    /// Answer with this status and an HTML page, as a proxy in front of an API does.
    NotJson { status: u16 },
    /// Answer `200` with a JSON-looking body of this many bytes, produced as it is sent.
    Oversized { bytes: u64 },
}

/// A running Bedrock Runtime emulator on a loopback socket. Dropping it stops the server.
#[derive(Debug)]
pub struct BedrockMock {
    server: Server<BedrockApi>,
}

impl BedrockMock {
    /// Binds `config.addr` (default `127.0.0.1:0`) and starts serving on the current runtime.
    pub async fn start(config: BedrockMockConfig) -> io::Result<Self> {
        let pacing = Pacing {
            addr: config.addr,
            latency: config.latency,
            stream_chunk_delay: config.stream_frame_delay,
        };
        let server = Server::start(BedrockApi { config }, pacing).await?;
        Ok(BedrockMock { server })
    }

    /// The endpoint a Bedrock client takes, such as `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    crate::server::handle_methods!(BedrockFault);
}

/// `%XX` sequences decoded, as in a URI path segment or a form value (where `+` is a space
/// when `plus_is_space`). Malformed escapes are kept as they are.
pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| text.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escaped, bytes[at]) {
            (Some(byte), _) => {
                decoded.push(byte);
                at += 3;
            }
            (None, b'+') if plus_is_space => {
                decoded.push(b' ');
                at += 1;
            }
            (None, byte) => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decode("a%3Ab%2Fc%20d", false), "a:b/c d");
        assert_eq!(percent_decode("a+b%2", true), "a b%2");
        assert_eq!(percent_decode("%C3%A9", false), "é");
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let config = BedrockMockConfig {
            keys: vec![AwsKey::new("AKID", "very-secret").with_session_token("token-secret")],
            api_keys: vec!["api-secret".to_owned()],
            ..BedrockMockConfig::default()
        };
        let text = format!("{config:?}");
        for secret in ["very-secret", "token-secret", "api-secret"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
