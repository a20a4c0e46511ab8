//! What every adapter does with an upstream call: send within a deadline, read a bounded
//! body, and name the provider in every error.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri, header};
use http_body::Body;
use http_body_util::{BodyExt, Full, Limited};
use hub_core::{Error, ErrorBody};
use hyper::body::Incoming;
use serde::Serialize;
use tokio::time::Instant;

use crate::HttpClient;
use crate::redact::Redactor;
use crate::sse::{EventStream, SseError, StreamLimits};

/// The largest error body an adapter reads; the rest of a longer one is not needed.
pub(crate) const MAX_ERROR_BYTES: usize = 64 * 1024;

/// Reads a provider's error body, in its own format, into OpenAI's.
pub(crate) type ErrorParser = fn(StatusCode, &[u8]) -> ErrorBody;

/// One provider's view of the client: its name for errors, its time budget, and the
/// credentials its errors must never carry.
#[derive(Debug, Clone)]
pub(crate) struct Upstream {
    pub(crate) provider: String,
    pub(crate) client: HttpClient,
    pub(crate) timeout: Duration,
    pub(crate) redactor: Redactor,
}

impl Upstream {
    /// Sends `request` and waits for the response head until `deadline`.
    pub(crate) async fn send(
        &self,
        request: Request<Full<Bytes>>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, Error> {
        match tokio::time::timeout_at(deadline, self.client.send(request)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(error)) => Err(self.unreachable(&error)),
            Err(_) => Err(self.timed_out()),
        }
    }

    /// Reads a whole successful body, within the client's response limit, until `deadline`.
    pub(crate) async fn read_response(
        &self,
        body: Incoming,
        deadline: Instant,
    ) -> Result<Bytes, Error> {
        let limit = self.client.limits().max_response_bytes;
        self.read_body(body, limit, deadline).await
    }

    /// The events of a streamed body, within the client's stream limits.
    pub(crate) fn events<B: Body>(&self, body: B) -> EventStream<B> {
        EventStream::new(body, self.stream_limits())
    }

    /// The bounds of a stream from this upstream: its quiet gaps end at the call's timeout.
    pub(crate) fn stream_limits(&self) -> StreamLimits {
        let limits = self.client.limits();
        StreamLimits {
            idle_timeout: self.timeout,
            max_duration: limits.max_stream_duration,
            max_event_bytes: limits.max_event_bytes,
            max_stream_bytes: limits.max_stream_bytes,
        }
    }

    /// Reads a whole body of at most `limit` bytes until `deadline`. Reading stops at the
    /// limit, so a larger body never sits in memory whole.
    pub(crate) async fn read_body(
        &self,
        body: Incoming,
        limit: usize,
        deadline: Instant,
    ) -> Result<Bytes, Error> {
        let collect = Limited::new(body, limit).collect();
        match tokio::time::timeout_at(deadline, collect).await {
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
                Err(self.protocol(format!("response body is larger than {limit} bytes")))
            }
            Ok(Err(error)) => Err(Error::UpstreamUnreachable {
                provider: self.provider.clone(),
                message: format!("connection broke while reading the response: {error}"),
            }),
            Err(_) => Err(self.timed_out()),
        }
    }

    /// Passes a success on, and turns an error status into [`Error::UpstreamStatus`], its
    /// body read by `parse`.
    pub(crate) async fn check_status(
        &self,
        response: Response<Incoming>,
        deadline: Instant,
        parse: ErrorParser,
    ) -> Result<Response<Incoming>, Error> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }

        let retry_after = retry_after(response.headers());
        let body = self
            .read_body(response.into_body(), MAX_ERROR_BYTES, deadline)
            .await
            .unwrap_or_default();
        Err(self.status_error(status, retry_after, &body, parse))
    }

    /// The error for an answer with an error `status` and `body`, read by `parse`.
    pub(crate) fn status_error(
        &self,
        status: StatusCode,
        retry_after: Option<Duration>,
        body: &[u8],
        parse: ErrorParser,
    ) -> Error {
        Error::UpstreamStatus {
            provider: self.provider.clone(),
            status: status.as_u16(),
            body: Box::new(parse(status, body)),
            retry_after,
        }
    }

    /// The error that ends a stream whose events stopped coming.
    pub(crate) fn stream_error(&self, error: &SseError) -> Error {
        stream_failure(&self.provider, self.timeout, error)
    }

    /// The deadline of a call that starts now.
    pub(crate) fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    pub(crate) fn timed_out(&self) -> Error {
        Error::UpstreamTimeout {
            provider: self.provider.clone(),
            after: self.timeout,
        }
    }

    pub(crate) fn protocol(&self, message: impl Into<String>) -> Error {
        Error::UpstreamProtocol {
            provider: self.provider.clone(),
            message: message.into(),
        }
    }

    fn unreachable(&self, error: &hyper_util::client::legacy::Error) -> Error {
        let what = if error.is_connect() {
            "connection failed"
        } else {
            "connection broke before a response"
        };
        Error::UpstreamUnreachable {
            provider: self.provider.clone(),
            message: format!("{what}: {}", error_chain(error)),
        }
    }
}

/// The error that ends `provider`'s stream, whose idle timeout is `idle_timeout`.
pub(crate) fn stream_failure(provider: &str, idle_timeout: Duration, error: &SseError) -> Error {
    let provider = provider.to_owned();
    match error {
        SseError::Idle(_) => Error::UpstreamTimeout {
            provider,
            after: idle_timeout,
        },
        SseError::TooLong(after) => Error::UpstreamTimeout {
            provider,
            after: *after,
        },
        SseError::TooLarge(exceeded) => Error::UpstreamProtocol {
            provider,
            message: exceeded.to_string(),
        },
        SseError::Decode(error) => Error::UpstreamUnreachable {
            provider,
            message: format!("stream broke: {error}"),
        },
    }
}

/// A POST of `body` as JSON to `url`, carrying `headers`.
pub(crate) fn json_request(
    url: &Uri,
    headers: &HeaderMap,
    body: &impl Serialize,
) -> Result<Request<Full<Bytes>>, Error> {
    let body = serde_json::to_vec(body)
        .map_err(|error| Error::Internal(format!("cannot encode the request: {error}")))?;
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(url.clone())
        .body(Full::new(Bytes::from(body)))
        .map_err(|error| Error::Internal(format!("cannot build the request: {error}")))?;
    request.headers_mut().clone_from(headers);
    Ok(request)
}

/// An error body for an upstream answer that is not in the provider's error format: the
/// status and the start of whatever text came instead.
pub(crate) fn unparsed_error_body(status: StatusCode, body: &[u8]) -> ErrorBody {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let message = if text.is_empty() {
        format!("upstream answered {status} with no body")
    } else {
        format!("upstream answered {status}: {}", truncate(text, 512))
    };
    ErrorBody::new("upstream_error", message)
}

/// OpenAI's error `type` for an error status, for providers whose errors carry none.
pub(crate) fn error_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "authentication_error",
        403 => "permission_error",
        429 => "rate_limit_error",
        500.. => "server_error",
        _ => "invalid_request_error",
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// An error and its sources on one line, as hyper's own message alone says too little
/// ("client error (Connect)").
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `Retry-After` in seconds, as providers send it on 429 and 503.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_ignores_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));

        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
