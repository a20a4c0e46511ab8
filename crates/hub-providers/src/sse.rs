//! Server-sent events: an incremental decoder over a response body, with the deadlines and
//! size bounds a gateway needs, and the encoder for OpenAI-style `data:` events.
//!
//! Decoding is done by the `sse-stream` crate, which handles events split across any
//! chunk boundary; this module adds an idle deadline, so that a stalled upstream cannot hold
//! a client forever, and the [`StreamLimits`], so that a trickle, an endless stream or a line
//! that never ends cannot either, nor grow a buffer without bound.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_core::Stream;
use http_body::{Body, Frame};
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

/// How long and how large an upstream stream may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// The longest wait for the next event.
    pub idle_timeout: Duration,
    /// The longest the whole stream may run.
    pub max_duration: Duration,
    /// The largest single event.
    pub max_event_bytes: usize,
    /// The most bytes the whole stream may carry.
    pub max_stream_bytes: u64,
}

/// Why an event stream ended early.
#[derive(Debug, thiserror::Error)]
pub enum SseError {
    /// The body failed: the connection reset or the peer sent invalid bytes.
    #[error("event stream broke: {0}")]
    Decode(sse_stream::Error),
    /// No event arrived within the idle timeout.
    #[error("no event for {} ms", .0.as_millis())]
    Idle(Duration),
    /// The stream ran past its time limit.
    #[error("the stream ran longer than {} s", .0.as_secs())]
    TooLong(Duration),
    /// A bound on the stream's size was crossed.
    #[error(transparent)]
    TooLarge(Exceeded),
}

/// A size bound a stream crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Exceeded {
    #[error("a stream event is larger than {0} bytes")]
    Event(usize),
    #[error("the stream is larger than {0} bytes")]
    Stream(u64),
}

impl SseError {
    /// The decoder's error, told apart from a limit the body under it (of error type `E`)
    /// enforced.
    fn from_decoder<E>(error: sse_stream::Error) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let exceeded = match &error {
            sse_stream::Error::Body(source) => match source.downcast_ref::<BodyFailure<E>>() {
                Some(BodyFailure::Exceeded(exceeded)) => Some(*exceeded),
                _ => None,
            },
            _ => None,
        };
        exceeded.map_or(SseError::Decode(error), SseError::TooLarge)
    }
}

pin_project! {
    /// The events of a body within its [`StreamLimits`].
    pub struct EventStream<B: Body> {
        #[pin]
        events: SseStream<Bounded<B>>,
        #[pin]
        idle: Sleep,
        #[pin]
        ends_by: Sleep,
        // Bytes read since the last event, shared with the body that counts them: what the
        // decoder may be holding of the event it has not finished.
        since_event: Arc<AtomicUsize>,
        limits: StreamLimits,
        failed: bool,
    }
}

impl<B: Body> EventStream<B> {
    /// Decodes `body`, failing when it breaks one of `limits`.
    pub fn new(body: B, limits: StreamLimits) -> Self {
        let since_event = Arc::new(AtomicUsize::new(0));
        let body = Bounded {
            body,
            since_event: Arc::clone(&since_event),
            total: 0,
            limits,
        };
        EventStream {
            events: SseStream::new(body),
            idle: tokio::time::sleep(limits.idle_timeout),
            ends_by: tokio::time::sleep(limits.max_duration),
            since_event,
            limits,
            failed: false,
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
        if *this.failed {
            return Poll::Ready(None);
        }
        // Checked before the events, which a fast upstream may never let go pending.
        if this.ends_by.poll(cx).is_ready() {
            *this.failed = true;
            return Poll::Ready(Some(Err(SseError::TooLong(this.limits.max_duration))));
        }

        if let Poll::Ready(item) = this.events.poll_next(cx) {
            this.since_event.store(0, Ordering::Relaxed);
            let deadline = Instant::now() + this.limits.idle_timeout;
            this.idle.as_mut().reset(deadline);
            return Poll::Ready(
                item.map(|event| event.map_err(SseError::from_decoder::<B::Error>)),
            );
        }

        ready!(this.idle.poll(cx));
        *this.failed = true;
        Poll::Ready(Some(Err(SseError::Idle(this.limits.idle_timeout))))
    }
}

impl<B: Body> std::fmt::Debug for EventStream<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// What the body under the decoder fails with: its own error `E`, or a limit.
#[derive(Debug, thiserror::Error)]
enum BodyFailure<E> {
    #[error(transparent)]
    Body(E),
    #[error(transparent)]
    Exceeded(Exceeded),
}

pin_project! {
    /// A body that fails once it carries more than the stream's limits allow.
    struct Bounded<B> {
        #[pin]
        body: B,
        since_event: Arc<AtomicUsize>,
        total: u64,
        limits: StreamLimits,
    }
}

impl<B: Body> Body for Bounded<B> {
    type Data = B::Data;
    type Error = BodyFailure<B::Error>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, Self::Error>>> {
        let this = self.project();
        let frame = match ready!(this.body.poll_frame(cx)) {
            Some(Ok(frame)) => frame,
            Some(Err(error)) => return Poll::Ready(Some(Err(BodyFailure::Body(error)))),
            None => return Poll::Ready(None),
        };

        let length = frame.data_ref().map_or(0, Buf::remaining);
        *this.total += length as u64;
        let pending = this.since_event.fetch_add(length, Ordering::Relaxed) + length;
        let exceeded = if *this.total > this.limits.max_stream_bytes {
            Some(Exceeded::Stream(this.limits.max_stream_bytes))
        } else if pending > this.limits.max_event_bytes {
            Some(Exceeded::Event(this.limits.max_event_bytes))
        } else {
            None
        };
        Poll::Ready(Some(match exceeded {
            Some(exceeded) => Err(BodyFailure::Exceeded(exceeded)),
            None => Ok(frame),
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
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

    fn limits() -> StreamLimits {
        StreamLimits {
            idle_timeout: Duration::from_secs(5),
            max_duration: Duration::from_secs(60),
            max_event_bytes: 1024,
            max_stream_bytes: 1 << 20,
        }
    }

    #[tokio::test]
    async fn events_split_across_chunks_are_reassembled() {
        let pieces = vec!["da", "ta: {\"a\"", ":1}\n", "\ndata: [DO", "NE]\n\n"];
        let events: Vec<_> = EventStream::new(body(pieces), limits())
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
        let limits = StreamLimits {
            idle_timeout: Duration::from_millis(20),
            ..limits()
        };
        let mut events = Box::pin(EventStream::new(silent, limits));
        assert!(matches!(events.next().await, Some(Err(SseError::Idle(_)))));
        assert!(events.next().await.is_none(), "nothing follows the error");
    }

    #[tokio::test]
    async fn a_line_that_never_ends_fails_at_the_event_limit() {
        let line = futures_util::stream::iter(
            std::iter::once(b"data: ".to_vec()).chain(std::iter::repeat_n(vec![b'a'; 100], 100)),
        )
        .map(|piece| Ok::<_, Infallible>(Frame::data(Bytes::from(piece))));
        let mut events = Box::pin(EventStream::new(StreamBody::new(line), limits()));

        let error = events.next().await.unwrap().unwrap_err();
        assert!(
            matches!(error, SseError::TooLarge(Exceeded::Event(1024))),
            "{error}"
        );
    }

    #[tokio::test]
    async fn small_events_pass_however_many_until_the_stream_limit() {
        let endless = futures_util::stream::repeat_with(|| {
            Ok::<_, Infallible>(Frame::data(Bytes::from_static(b"data: {}\n\n")))
        });
        let events = EventStream::new(StreamBody::new(endless), limits());

        let results: Vec<_> = events.take(200_000).collect().await;
        let passed = results.iter().take_while(|event| event.is_ok()).count();
        assert_eq!(
            passed,
            (1 << 20) / 10,
            "every whole event before the limit passes"
        );
        assert!(matches!(
            results[passed],
            Err(SseError::TooLarge(Exceeded::Stream(_)))
        ));
        assert_eq!(results.len(), passed + 1, "the error ends the stream");
    }

    #[tokio::test]
    async fn a_steady_trickle_ends_at_the_time_limit() {
        let trickle = futures_util::stream::unfold((), |()| async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Some((
                Ok::<_, Infallible>(Frame::data(Bytes::from_static(b"data: {}\n\n"))),
                (),
            ))
        });
        let limits = StreamLimits {
            idle_timeout: Duration::from_millis(500),
            max_duration: Duration::from_millis(100),
            ..limits()
        };
        let events = EventStream::new(StreamBody::new(trickle), limits);

        let results: Vec<_> = tokio::time::timeout(Duration::from_secs(10), events.collect())
            .await
            .expect("the stream ends by itself");
        let last: &Result<Sse, SseError> = results.last().unwrap();
        assert!(matches!(last, Err(SseError::TooLong(_))), "{last:?}");
    }

    #[test]
    fn data_events_are_one_line_and_a_blank_one() {
        let event = data_event(&serde_json::json!({"text": "a\nb"})).unwrap();
        assert_eq!(&event[..], b"data: {\"text\":\"a\\nb\"}\n\n");
    }
}
