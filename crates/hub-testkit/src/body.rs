//! Response bodies: buffered JSON, server-sent events paced as a real stream, and the broken
//! or endless bodies the faults ask for.

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
#[error("stream cut short by a fault")]
pub(crate) struct StreamCut;

/// How a streamed response is delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamPlan {
    /// Pause between two events.
    pub(crate) chunk_delay: Duration,
    /// How the stream misbehaves, if it does.
    pub(crate) fault: Option<StreamFault>,
}

/// What a fault does to a stream's events, in any wire format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StreamFault {
    /// Close the connection after this many events.
    Cut { after: usize },
    /// Send this many events and the first half of the next, then close the connection.
    CutMidEvent { after: usize },
    /// Send this many events, then nothing more, keeping the connection open.
    Stall { after: usize },
    /// Send the events up to the middle one, then repeat that one forever.
    Endless,
    /// Send the events up to the middle one, then `head`, then filler bytes forever: an
    /// event that never ends.
    EndlessEvent { head: Bytes },
    /// Send this many events, then `last`, and end the body cleanly: a failure reported
    /// inside the stream.
    EndWith { after: usize, last: Bytes },
    /// Flip the lowest bit of the last byte of the event at `index` (in an eventstream frame,
    /// its checksum), and send the rest as they are.
    Corrupt { index: usize },
}

/// The size of each piece of an endless or oversized body.
const FILLER_PIECE_BYTES: usize = 16 * 1024;

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
    pub(crate) fn into_response(self, plan: &StreamPlan) -> Response<MockBody> {
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
pub(crate) fn event_stream(mut events: Vec<Bytes>, plan: &StreamPlan) -> Response<MockBody> {
    if plan.fault.is_none() {
        events.push(Bytes::from_static(DONE_EVENT));
    }
    events_body(events, plan)
}

/// A `text/event-stream` response that yields `events` one by one and ends there, as streams
/// without a closing event do.
pub(crate) fn events_body(events: Vec<Bytes>, plan: &StreamPlan) -> Response<MockBody> {
    let mut response = Response::new(paced_body(events, plan));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A body that yields `events` one by one, as `plan` says.
///
/// The body is produced lazily, so each event leaves the socket on its own and the pacing
/// delay is real time between writes, not a buffered body replayed at once.
pub(crate) fn paced_body(mut events: Vec<Bytes>, plan: &StreamPlan) -> MockBody {
    let delay = plan.chunk_delay;
    let middle = events.len() / 2;
    let tail = match plan.fault.clone() {
        None => stream::empty().boxed(),
        Some(StreamFault::Cut { after }) => {
            events.truncate(after);
            stream::once(cut_connection(delay)).boxed()
        }
        Some(StreamFault::CutMidEvent { after }) => {
            events.truncate(after + 1);
            if let Some(last) = events.last_mut() {
                *last = last.slice(..last.len() / 2);
            }
            stream::once(cut_connection(delay)).boxed()
        }
        Some(StreamFault::Stall { after }) => {
            events.truncate(after);
            stream::pending().boxed()
        }
        Some(StreamFault::Endless) => {
            let repeated = events.get(middle).cloned().unwrap_or_default();
            events.truncate(middle);
            paced_forever(repeated, delay).boxed()
        }
        Some(StreamFault::EndlessEvent { head }) => {
            events.truncate(middle);
            events.push(head);
            paced_forever(filler_piece(), delay).boxed()
        }
        Some(StreamFault::EndWith { after, last }) => {
            events.truncate(after);
            events.push(last);
            stream::empty().boxed()
        }
        Some(StreamFault::Corrupt { index }) => {
            if let Some(event) = events.get_mut(index) {
                *event = with_last_bit_flipped(event);
            }
            stream::empty().boxed()
        }
    };
    StreamBody::new(paced(events, delay).chain(tail)).boxed_unsync()
}

fn with_last_bit_flipped(event: &Bytes) -> Bytes {
    let mut bytes = event.to_vec();
    if let Some(last) = bytes.last_mut() {
        *last ^= 0x01;
    }
    Bytes::from(bytes)
}

/// A `200` body of `bytes` bytes that starts like a JSON object and never closes it, sent in
/// pieces `delay` apart: an oversized answer, or with a delay, one that trickles.
pub(crate) fn oversized(bytes: u64, delay: Duration) -> Response<MockBody> {
    let head = Bytes::from_static(br#"{"id":"chatcmpl-oversized","padding":""#);
    let pieces = bytes.saturating_sub(head.len() as u64) / FILLER_PIECE_BYTES as u64;
    let filler = paced_forever(filler_piece(), delay).take(usize::try_from(pieces).unwrap_or(0));
    let body = stream::once(async move { Ok(Frame::data(head)) }).chain(filler);

    let mut response = Response::new(StreamBody::new(body).boxed_unsync());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn filler_piece() -> Bytes {
    Bytes::from(vec![b'a'; FILLER_PIECE_BYTES])
}

type FrameResult = Result<Frame<Bytes>, StreamCut>;

/// `piece` again and again, `delay` apart.
fn paced_forever(piece: Bytes, delay: Duration) -> impl futures_util::Stream<Item = FrameResult> {
    stream::repeat(piece).then(move |piece| async move {
        if delay.is_zero() {
            // Lets the connection task see a client that left, and other tasks run.
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(delay).await;
        }
        Ok(Frame::data(piece))
    })
}

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
