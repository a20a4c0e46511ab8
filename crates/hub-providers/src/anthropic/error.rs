//! Anthropic's errors as Hub's: an error status with its body, and an `error` event inside
//! a stream. Anthropic's message is kept; its error type becomes OpenAI's `code`, so a
//! client can still tell `overloaded_error` from `rate_limit_error`.

use std::time::Duration;

use http::StatusCode;
use hub_core::{Error, ErrorBody, Origin};

use super::wire::{ErrorDetail, ErrorResponse};

/// The error for an answer with an error status.
///
/// Where Hub passes the body on unchanged (the statuses that describe the client's own
/// request), the message is prefixed with the provider's key, as every other upstream
/// error's message is, so the client knows whose words it reads.
pub(crate) fn status_error(
    provider: &str,
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Error {
    let mut error = Error::UpstreamStatus {
        provider: provider.to_owned(),
        status: status.as_u16(),
        body: Box::new(error_body(status, body)),
        retry_after,
    };
    if error.origin() == Origin::Client
        && let Error::UpstreamStatus { body, .. } = &mut error
    {
        body.error.message = format!("{provider}: {}", body.error.message);
    }
    error
}

/// The error for an `error` event in the middle of a stream.
pub(crate) fn reported(provider: &str, detail: ErrorDetail) -> Error {
    Error::UpstreamReported {
        provider: provider.to_owned(),
        body: Box::new(openai_body(detail)),
    }
}

/// Anthropic's error body in OpenAI's shape, or one describing what came instead.
fn error_body(status: StatusCode, body: &[u8]) -> ErrorBody {
    if let Ok(parsed) = serde_json::from_slice::<ErrorResponse>(body) {
        return openai_body(parsed.error);
    }

    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let message = if text.is_empty() {
        format!("upstream answered {status} with no body")
    } else {
        format!("upstream answered {status}: {}", truncate(text, 512))
    };
    openai_body(ErrorDetail {
        kind: kind_of_status(status).to_owned(),
        message,
    })
}

/// OpenAI calls every fault in the request itself `invalid_request_error`; Anthropic's other
/// types have no OpenAI name and are kept.
fn openai_body(detail: ErrorDetail) -> ErrorBody {
    let kind = match detail.kind.as_str() {
        "invalid_request_error" | "not_found_error" | "request_too_large" => {
            "invalid_request_error"
        }
        other => other,
    };
    ErrorBody::new(kind, detail.message).with_code(detail.kind)
}

/// The error type Anthropic sends with each status (PROTOCOLS.md 2.5), for a body that did
/// not say, such as the HTML of a proxy in front of the API.
fn kind_of_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests;
