//! Answering a client the way Hub does when a call fails: the status and OpenAI's error body
//! that a `hub_core::Error` maps to, and `Retry-After` when the provider asked for a wait.

use hub_core::{Error, Origin};

/// An error response, in the pieces any HTTP library takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    pub status: u16,
    /// Whole seconds, rounded up, for a `Retry-After` header.
    pub retry_after_seconds: Option<u64>,
    /// `{"error": {"message", "type", "param", "code"}}`, as OpenAI's SDKs read it.
    pub body: Vec<u8>,
}

/// The response for `error`. A provider's own status is kept where it describes the client's
/// request (400, 404, 429, ...); a provider that failed or refused Hub's credentials is a
/// 502, and one that timed out a 504.
pub fn error_reply(error: &Error) -> ErrorReply {
    let retry_after_seconds = match error {
        Error::UpstreamStatus {
            retry_after: Some(wait),
            ..
        } => Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)),
        _ => None,
    };
    let body = serde_json::to_vec(&error.to_body()).expect("an error body holds only strings");

    ErrorReply {
        status: error.status(),
        retry_after_seconds,
        body,
    }
}

/// Whether the service should log `error` as its own problem: a client's bad request is
/// not, a provider's failure is.
pub fn is_operational(error: &Error) -> bool {
    error.origin() != Origin::Client
}
