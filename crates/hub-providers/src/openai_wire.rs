//! OpenAI's wire format as an upstream speaks it: JSON calls, `data:` event streams that end
//! with `[DONE]`, and OpenAI's error body. The `openai` and `azure` adapters both send through
//! an [`OpenAiWire`]; they differ in URLs, auth headers and what they make of errors.

use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, HeaderValue, Response, StatusCode, Uri, header};
use http_body::Body;
use hub_core::{BoxStream, Error, ErrorBody};
use hyper::body::Incoming;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::BuildError;
use crate::sse::EventStream;
use crate::upstream::{ErrorParser, Upstream, json_request, unparsed_error_body};

/// Calls to one upstream that speaks OpenAI's format.
#[derive(Debug)]
pub(crate) struct OpenAiWire {
    pub(crate) upstream: Upstream,
    headers: HeaderMap,
    errors: ErrorParser,
}

impl OpenAiWire {
    /// Calls that carry `headers` and read error bodies with `errors`.
    pub(crate) fn new(upstream: Upstream, headers: HeaderMap, errors: ErrorParser) -> Self {
        OpenAiWire {
            upstream,
            headers,
            errors,
        }
    }

    /// Sends a call whose answer is one JSON document.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        url: &Uri,
        body: &impl Serialize,
    ) -> Result<T, Error> {
        let deadline = self.upstream.deadline();
        let response = self.send(url, body, deadline).await?;
        let body = self
            .upstream
            .read_response(response.into_body(), deadline)
            .await?;
        self.decode(&body)
    }

    /// Sends a call whose answer is an event stream of `T` chunks.
    pub(crate) async fn call_stream<T>(
        &self,
        url: &Uri,
        body: &impl Serialize,
    ) -> Result<BoxStream<Result<T, Error>>, Error>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let response = self.send(url, body, self.upstream.deadline()).await?;
        let events = self.upstream.events(response.into_body());
        Ok(chunks(self.upstream.clone(), events))
    }

    /// Sends `body` and returns the response once its status is a success.
    async fn send(
        &self,
        url: &Uri,
        body: &impl Serialize,
        deadline: Instant,
    ) -> Result<Response<Incoming>, Error> {
        let request = json_request(url, &self.headers, body)?;
        let response = self.upstream.send(request, deadline).await?;
        self.upstream
            .check_status(response, deadline, self.errors)
            .await
    }

    /// Reads an answer's body, or the error object an upstream sent in its place.
    pub(crate) fn decode<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, Error> {
        serde_json::from_slice(body).map_err(|error| match reported_error(body) {
            Some(reported) => Error::UpstreamReported {
                provider: self.upstream.provider.clone(),
                body: Box::new(reported),
            },
            None => self
                .upstream
                .protocol(format!("unexpected response body: {error}")),
        })
    }
}

/// The headers of every JSON call: what is sent, and what is read back.
pub(crate) fn json_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::ACCEPT,
        HeaderValue::from_static("application/json, text/event-stream"),
    );
    headers
}

/// A header value holding a credential, marked sensitive so that no debug output of a
/// request shows it.
pub(crate) fn secret_header(value: String, field: &'static str) -> Result<HeaderValue, BuildError> {
    let mut value = HeaderValue::try_from(value).map_err(|_| BuildError::InvalidSetting {
        field,
        message: "contains characters not allowed in an HTTP header".to_owned(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The chunks of an OpenAI event stream, up to `data: [DONE]`.
///
/// A stream that closes without `[DONE]` was cut off, and says so as its last item rather
/// than passing for a complete answer.
pub(crate) fn chunks<T, B>(
    upstream: Upstream,
    events: EventStream<B>,
) -> BoxStream<Result<T, Error>>
where
    T: DeserializeOwned + Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let state = Some(Box::pin(events));
    Box::pin(futures_util::stream::unfold(state, move |state| {
        let upstream = upstream.clone();
        async move {
            let mut events = state?;
            loop {
                let event = match events.next().await {
                    Some(Ok(event)) => event,
                    Some(Err(error)) => return Some((Err(upstream.stream_error(&error)), None)),
                    None => {
                        let error = upstream.protocol("stream ended before [DONE]");
                        return Some((Err(error), None));
                    }
                };
                let Some(data) = event.data else { continue };
                if data == "[DONE]" {
                    return None;
                }
                return Some((decode_chunk(&upstream, &data), Some(events)));
            }
        }
    }))
}

fn decode_chunk<T: DeserializeOwned>(upstream: &Upstream, data: &str) -> Result<T, Error> {
    serde_json::from_str(data).map_err(|error| match reported_error(data.as_bytes()) {
        Some(body) => Error::UpstreamReported {
            provider: upstream.provider.clone(),
            body: Box::new(body),
        },
        None => upstream.protocol(format!("unexpected stream event: {error}")),
    })
}

/// An error object where an answer was expected: `{"error": {...}}`.
fn reported_error(body: &[u8]) -> Option<ErrorBody> {
    serde_json::from_slice(body).ok()
}

/// OpenAI's error body as the upstream sent it, or one that describes what it sent instead.
pub(crate) fn error_body(status: StatusCode, body: &[u8]) -> ErrorBody {
    reported_error(body).unwrap_or_else(|| unparsed_error_body(status, body))
}
