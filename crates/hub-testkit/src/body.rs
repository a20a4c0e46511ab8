//! Response bodies: buffered JSON, and server-sent events paced as a real stream.

use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use serde::Serialize;
use serde_json::Value;

/// The body type of every response the mock sends.
pub(crate) type MockBody = UnsyncBoxBody<Bytes, StreamCut>;

/// The body error that makes hyper drop the connection in the middle of a stream.
#[derive(Debug, thiserror::Error)]
#[error("stream cut short by the TruncateStream fault")]
pub(crate) struct StreamCut;

/// How a streamed response is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StreamPlan {
    /// Pause between two events.
    pub(crate) chunk_delay: Duration,
    /// Close the connection after this many events instead of finishing with `[DONE]`.
    pub(crate) cut_after: Option<usize>,
}

const DONE_EVENT: &[u8] = b"data: [DONE]\n\n";

/// An OpenAI-format answer before it is framed: one JSON body, or the chunks of a stream.
/// Emulators of OpenAI-compatible APIs (Azure) adjust it before it is sent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rendered {
    Whole(Value),
    Events(Vec<Value>),
}

impl Rendered {
    /// A `200` JSON body, or an event stream ended by `data: [DONE]`.
    pub(crate) fn into_response(self, plan: StreamPlan) -> Response<MockBody> {
        match self {
            Rendered::Whole(body) => json(StatusCode::OK, &body),
            Rendered::Events(chunks) => event_stream(chunks.iter().map(event).collect(), plan),
        }
    }
}

/// A complete body with the given status and content type.
pub(crate) fn full(
    status: StatusCode,
    content_type: &'static str,
    bytes: Bytes,
) -> Response<MockBody> {
    let body = Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// `value` serialised as the JSON body of a response with `status`.
pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Response<MockBody> {
    full(status, "application/json", Bytes::from(to_json(value)))
}

/// One SSE event, `data: <json>` and a blank line, as OpenAI sends them (no `event:` line).
pub(crate) fn event(value: &impl Serialize) -> Bytes {
    let mut event = b"data: ".to_vec();
    event.extend_from_slice(&to_json(value));
    event.extend_from_slice(b"\n\n");
    Bytes::from(event)
}

/// A `text/event-stream` response that yields `events` one by one, then `data: [DONE]`.
pub(crate) fn event_stream(mut events: Vec<Bytes>, plan: StreamPlan) -> Response<MockBody> {
    if plan.cut_after.is_none() {
        events.push(Bytes::from_static(DONE_EVENT));
    }
    events_body(events, plan)
}

/// A `text/event-stream` response that yields `events` one by one and ends there, as streams
/// without a closing event do.
///
/// The body is produced lazily, so each event leaves the socket on its own and the pacing
/// delay is real time between writes, not a buffered body replayed at once.
pub(crate) fn events_body(mut events: Vec<Bytes>, plan: StreamPlan) -> Response<MockBody> {
    let delay = plan.chunk_delay;
    let body = match plan.cut_after {
        None => StreamBody::new(paced(events, delay)).boxed_unsync(),
        Some(limit) => {
            events.truncate(limit);
            let cut = stream::once(cut_connection(delay));
            StreamBody::new(paced(events, delay).chain(cut)).boxed_unsync()
        }
    };

    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

type FrameResult = Result<Frame<Bytes>, StreamCut>;

fn paced(events: Vec<Bytes>, delay: Duration) -> impl futures_util::Stream<Item = FrameResult> {
    stream::iter(events)
        .enumerate()
        .then(move |(index, event)| async move {
            if index > 0 && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            Ok(Frame::data(event))
        })
}

async fn cut_connection(delay: Duration) -> FrameResult {
    // hyper drops its write buffer when the body fails, so the body must go pending once
    // to let the events already produced reach the socket before the connection closes.
    tokio::time::sleep(delay).await;
    tokio::task::yield_now().await;
    Err(StreamCut)
}

/// `value` as a JSON tree, for answers that are adjusted before they are sent.
pub(crate) fn value(value: &impl Serialize) -> Value {
    serde_json::to_value(value)
        .expect("response bodies are plain structs and JSON values with string keys")
}

fn to_json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value)
        .expect("response bodies are plain structs and JSON values with string keys")
}
