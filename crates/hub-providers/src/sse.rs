//! Server-sent events: an incremental decoder over a response body, with an idle timeout,
//! and the encoder for OpenAI-style `data:` events.
//!
//! Decoding is done by the `sse-stream` crate, which handles events split across any
//! chunk boundary; this module adds the idle deadline a gateway needs so that a stalled
//! upstream cannot hold a client forever.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures_core::Stream;
use http_body::Body;
use pin_project_lite::pin_project;
use serde::Serialize;
use sse_stream::{Sse, SseStream};
use tokio::time::{Instant, Sleep};

/// The event that ends an OpenAI stream.
pub const DONE: &[u8] = b"data: [DONE]\n\n";

/// Encodes `payload` as one `data:` event, the JSON on a single line.
///
/// # Errors
///
/// Fails only when `payload` cannot be serialized as JSON.
pub fn data_event(payload: &impl Serialize) -> Result<Bytes, serde_json::Error> {
    let mut buffer = BytesMut::with_capacity(256).writer();
    std::io::Write::write_all(&mut buffer, b"data: ").map_err(serde_json::Error::io)?;
    serde_json::to_writer(&mut buffer, payload)?;
    let mut buffer = buffer.into_inner();
    buffer.put_slice(b"\n\n");
    Ok(buffer.freeze())
}

/// Why an event stream ended early.
#[derive(Debug, thiserror::Error)]
pub enum SseError {
    /// The body failed: the connection reset or the peer sent invalid bytes.
    #[error("event stream broke: {0}")]
    Decode(#[from] sse_stream::Error),
    /// No event arrived within the idle timeout.
    #[error("no event for {} ms", .0.as_millis())]
    Idle(Duration),
}

pin_project! {
    /// The events of a body, each within `idle_timeout` of the one before.
    pub struct EventStream<B: Body> {
        #[pin]
        events: SseStream<B>,
        #[pin]
        deadline: Sleep,
        idle_timeout: Duration,
    }
}

impl<B: Body> EventStream<B> {
    /// Decodes `body`, failing when it goes quiet for longer than `idle_timeout`.
    pub fn new(body: B, idle_timeout: Duration) -> Self {
        EventStream {
            events: SseStream::new(body),
            deadline: tokio::time::sleep(idle_timeout),
            idle_timeout,
        }
    }
}

impl<B> Stream for EventStream<B>
where
    B: Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    type Item = Result<Sse, SseError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if let Poll::Ready(item) = this.events.poll_next(cx) {
            this.deadline
                .as_mut()
                .reset(Instant::now() + *this.idle_timeout);
            return Poll::Ready(item.map(|event| event.map_err(SseError::from)));
        }

        ready!(this.deadline.poll(cx));
        Poll::Ready(Some(Err(SseError::Idle(*this.idle_timeout))))
    }
}

impl<B: Body> std::fmt::Debug for EventStream<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use futures_util::StreamExt;
    use http_body_util::StreamBody;
    use hyper::body::Frame;

    use super::*;

    fn body(pieces: Vec<&'static str>) -> impl Body<Data = Bytes, Error = Infallible> {
        let frames = pieces
            .into_iter()
            .map(|piece| Ok::<_, Infallible>(Frame::data(Bytes::from_static(piece.as_bytes()))));
        StreamBody::new(futures_util::stream::iter(frames))
    }

    #[tokio::test]
    async fn events_split_across_chunks_are_reassembled() {
        let pieces = vec!["da", "ta: {\"a\"", ":1}\n", "\ndata: [DO", "NE]\n\n"];
        let events: Vec<_> = EventStream::new(body(pieces), Duration::from_secs(5))
            .map(|event| event.unwrap().data.unwrap())
            .collect()
            .await;
        assert_eq!(events, vec!["{\"a\":1}", "[DONE]"]);
    }

    #[tokio::test]
    async fn a_silent_body_times_out() {
        let silent = StreamBody::new(futures_util::stream::pending::<
            Result<Frame<Bytes>, Infallible>,
        >());
        let mut events = Box::pin(EventStream::new(silent, Duration::from_millis(20)));
        assert!(matches!(events.next().await, Some(Err(SseError::Idle(_)))));
    }

    #[test]
    fn data_events_are_one_line_and_a_blank_one() {
        let event = data_event(&serde_json::json!({"text": "a\nb"})).unwrap();
        assert_eq!(&event[..], b"data: {\"text\":\"a\\nb\"}\n\n");
    }
}
