//! Bedrock's exceptions as OpenAI's errors.
//!
//! Bedrock names an error by its exception shape: in the `x-amzn-ErrorType` header
//! (`ThrottlingException:http://internal.amazon.com/...`) or a `__type`/`code` body key on a
//! failed call, and in the `:exception-type` header (`throttlingException`) of a stream frame.
//! The body is `{"message": "..."}`. The client keeps Bedrock's message, prefixed with the
//! exception's name, and gets the status that says the same thing in OpenAI's terms.

use http::{HeaderMap, StatusCode};
use hub_core::{Error, ErrorBody, Origin};
use serde::Deserialize;

use crate::upstream::retry_after;

/// How one exception reads to an OpenAI client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mapping {
    /// The status recorded as the upstream's; `hub-core` derives the client's from it.
    status: u16,
    /// OpenAI's `code`, where OpenAI has a word for the case.
    code: Option<&'static str>,
}

/// Bedrock Runtime's exceptions (botocore's service model) and their mapping.
///
/// `ServiceQuotaExceededException` is a 400 on Bedrock, but to an OpenAI client an exhausted
/// quota is a 429 `insufficient_quota`. `ModelNotReadyException` is Bedrock's own 429: the
/// model is loading and a retry will succeed.
fn mapping(name: &str, http_status: Option<u16>) -> Mapping {
    let known = |status, code| Mapping { status, code };
    match name.to_ascii_lowercase().as_str() {
        "validationexception" => known(400, None),
        "servicequotaexceededexception" => known(429, Some("insufficient_quota")),
        "accessdeniedexception" => known(403, None),
        "resourcenotfoundexception" => known(404, Some("model_not_found")),
        "modeltimeoutexception" => known(408, Some("timeout")),
        "throttlingexception" => known(429, Some("rate_limit_exceeded")),
        "modelnotreadyexception" => known(429, Some("model_not_ready")),
        "modelerrorexception" | "modelstreamerrorexception" => known(424, None),
        "internalserverexception" => known(500, None),
        "serviceunavailableexception" => known(503, None),
        _ => known(http_status.unwrap_or(500), None),
    }
}

/// A `{"message": ...}` body, with the type keys some services add.
#[derive(Debug, Default, Deserialize)]
struct AwsErrorBody {
    #[serde(alias = "Message")]
    message: Option<String>,
    #[serde(rename = "__type", alias = "code", alias = "Code")]
    kind: Option<String>,
}

/// The error for a call Bedrock answered with an error status.
pub(crate) fn from_response(
    provider: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let parsed: AwsErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let name = headers
        .get("x-amzn-errortype")
        .and_then(|value| value.to_str().ok())
        .or(parsed.kind.as_deref())
        .map(exception_name)
        .unwrap_or_default();
    let message = parsed
        .message
        .unwrap_or_else(|| describe_body(status, body));

    let mapping = mapping(&name, Some(status.as_u16()));
    upstream_status(provider, &name, &message, mapping, retry_after(headers))
}

/// The error for an exception frame that arrived before any event: nothing has been sent to
/// the client yet, so it gets the exception's status.
pub(super) fn from_first_frame(provider: &str, exception_type: &str, payload: &[u8]) -> Error {
    let name = exception_name(exception_type);
    let mapping = mapping(&name, None);
    upstream_status(provider, &name, &frame_message(payload), mapping, None)
}

/// The error for an exception frame in the middle of a stream, after the 200 went out.
pub(super) fn from_stream_frame(provider: &str, exception_type: &str, payload: &[u8]) -> Error {
    let name = exception_name(exception_type);
    let code = mapping(&name, None)
        .code
        .map_or(name.clone(), str::to_owned);
    let body = ErrorBody::new(
        "upstream_error",
        format!("{name}: {}", frame_message(payload)),
    )
    .with_code(code);
    Error::UpstreamReported {
        provider: provider.to_owned(),
        body: Box::new(body),
    }
}

/// The error for a `:message-type: error` frame, which carries its code in headers.
pub(super) fn from_error_frame(provider: &str, code: &str, message: &str) -> Error {
    let body = ErrorBody::new("upstream_error", format!("{code}: {message}")).with_code(code);
    Error::UpstreamReported {
        provider: provider.to_owned(),
        body: Box::new(body),
    }
}

fn upstream_status(
    provider: &str,
    name: &str,
    message: &str,
    mapping: Mapping,
    retry_after: Option<std::time::Duration>,
) -> Error {
    let name = if name.is_empty() { "Error" } else { name };
    let kind = match mapping.status {
        400 | 404 => "invalid_request_error",
        429 => "rate_limit_error",
        _ => "upstream_error",
    };
    let code = mapping.code.unwrap_or(name);
    let mut body = ErrorBody::new(kind, format!("{name}: {message}")).with_code(code);

    let mut error = Error::UpstreamStatus {
        provider: provider.to_owned(),
        status: mapping.status,
        body: Box::new(body.clone()),
        retry_after,
    };
    // A client-side error reaches the client with this body as it is, so it names the
    // provider itself; other errors are wrapped in a message that already does.
    if error.origin() == Origin::Client {
        body.error.message = format!("{provider}: {}", body.error.message);
        if let Error::UpstreamStatus { body: kept, .. } = &mut error {
            **kept = body;
        }
    }
    error
}

/// `ThrottlingException` from `ThrottlingException:http://internal.amazon.com/...`,
/// `com.amazonaws.bedrock#ThrottlingException` or a frame's `throttlingException`.
fn exception_name(raw: &str) -> String {
    let name = raw.split(':').next().unwrap_or_default();
    let name = name.rsplit('#').next().unwrap_or_default().trim();
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn frame_message(payload: &[u8]) -> String {
    serde_json::from_slice::<AwsErrorBody>(payload)
        .ok()
        .and_then(|body| body.message)
        .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned())
}

/// What to say when the error body holds no message.
fn describe_body(status: StatusCode, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        format!("upstream answered {status} with no body")
    } else {
        text.chars().take(512).collect()
    }
}

#[cfg(test)]
mod tests;
