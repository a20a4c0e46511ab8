//! The `application/vnd.amazon.eventstream` framing of ConverseStream: an incremental decoder
//! over a response body, and the reading of each frame's headers.
//!
//! Frames are decoded by AWS's `aws-smithy-eventstream`, which reassembles a frame split
//! across any number of body chunks and checks both CRCs. This module feeds it, checks each
//! prelude before the crate waits for the length it announces, and adds the deadlines and size
//! bounds a gateway needs so that a stalled, trickling or endless upstream cannot hold a
//! client forever nor grow a buffer without bound.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::{HeaderValue, Message};
use bytes::{Buf, Bytes, BytesMut};
use futures_core::Stream;
use http_body::Body;
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

use crate::sse::{Exceeded, StreamLimits};

/// The prelude: total length, headers length, and the CRC of those eight bytes.
const PRELUDE_BYTES: usize = 12;

/// The largest frame the format allows: 128 KiB of headers and 24 MiB of payload, plus the
/// prelude and the message CRC. A larger announced length is a corrupted prelude.
const MAX_FRAME_BYTES: u32 = 128 * 1024 + 24 * 1024 * 1024 + 16;

/// The smallest frame: a prelude and a message CRC around nothing.
const MIN_FRAME_BYTES: u32 = 16;

/// Why a body could not be read as frames.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FrameError {
    /// A frame failed its CRC or is malformed.
    #[error("invalid eventstream frame: {0}")]
    Invalid(String),
    /// The body ended in the middle of a frame.
    #[error("the stream ended in the middle of a frame")]
    Truncated,
    /// The connection failed while the body was being read.
    #[error("the stream broke: {0}")]
    Body(String),
    /// No bytes arrived within the idle timeout.
    #[error("no data for {} ms", .0.as_millis())]
    Idle(Duration),
    /// The stream ran past its time limit.
    #[error("the stream ran longer than {} s", .0.as_secs())]
    TooLong(Duration),
    /// A frame, or the whole stream, is larger than the limits allow.
    #[error(transparent)]
    TooLarge(Exceeded),
}

pin_project! {
    /// The frames of a body, each within `idle_timeout` of the bytes before, and the whole
    /// within the stream's limits.
    pub(crate) struct FrameStream<B> {
        #[pin]
        body: B,
        #[pin]
        deadline: Sleep,
        #[pin]
        ends_by: Sleep,
        limits: StreamLimits,
        total: u64,
        buffer: BytesMut,
        decoder: MessageFrameDecoder,
        // Whether the prelude of the frame being read was checked; the decoder consumes the
        // prelude from the buffer as soon as it has it, so it is checked exactly once.
        prelude_checked: bool,
        body_done: bool,
        finished: bool,
    }
}

impl<B: Body> FrameStream<B> {
    /// Decodes `body`, failing when it breaks one of `limits`.
    pub(crate) fn new(body: B, limits: StreamLimits) -> Self {
        FrameStream {
            body,
            deadline: tokio::time::sleep(limits.idle_timeout),
            ends_by: tokio::time::sleep(limits.max_duration),
            limits,
            total: 0,
            buffer: BytesMut::with_capacity(8 * 1024),
            decoder: MessageFrameDecoder::new(),
            prelude_checked: false,
            body_done: false,
            finished: false,
        }
    }
}

impl<B> Stream for FrameStream<B>
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Display,
{
    type Item = Result<Message, FrameError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if *this.finished {
            return Poll::Ready(None);
        }
        // Checked before the frames, which a fast upstream may never let go pending.
        if this.ends_by.poll(cx).is_ready() {
            *this.finished = true;
            return Poll::Ready(Some(Err(FrameError::TooLong(this.limits.max_duration))));
        }

        loop {
            let decoded = decode(this.decoder, this.buffer, this.prelude_checked, this.limits);
            let item = match decoded {
                Ok(Some(message)) => return Poll::Ready(Some(Ok(message))),
                Ok(None) if *this.body_done => ended(this.buffer),
                Ok(None) => match this.body.as_mut().poll_frame(cx) {
                    Poll::Ready(Some(Ok(frame))) => {
                        this.deadline
                            .as_mut()
                            .reset(Instant::now() + this.limits.idle_timeout);
                        match frame.into_data() {
                            Ok(data) => match take(this.buffer, this.total, &data, this.limits) {
                                Ok(()) => continue,
                                Err(error) => Some(Err(error)),
                            },
                            Err(_) => continue,
                        }
                    }
                    Poll::Ready(Some(Err(error))) => Some(Err(FrameError::Body(error.to_string()))),
                    Poll::Ready(None) => {
                        *this.body_done = true;
                        continue;
                    }
                    Poll::Pending => {
                        ready!(this.deadline.as_mut().poll(cx));
                        Some(Err(FrameError::Idle(this.limits.idle_timeout)))
                    }
                },
                Err(error) => Some(Err(error)),
            };

            // The body ended or failed, or a frame was invalid: nothing more can follow.
            *this.finished = true;
            return Poll::Ready(item);
        }
    }
}

/// Adds `data` to `buffer`, unless the stream's limits forbid it.
fn take(
    buffer: &mut BytesMut,
    total: &mut u64,
    data: &[u8],
    limits: &StreamLimits,
) -> Result<(), FrameError> {
    *total += data.len() as u64;
    if *total > limits.max_stream_bytes {
        return Err(FrameError::TooLarge(Exceeded::Stream(
            limits.max_stream_bytes,
        )));
    }
    // The buffer holds at most one unfinished frame, whose announced length was checked, plus
    // the start of the next: this bounds it even before a prelude is whole.
    if buffer.len() + data.len() > limits.max_event_bytes.saturating_add(PRELUDE_BYTES) {
        return Err(FrameError::TooLarge(Exceeded::Event(
            limits.max_event_bytes,
        )));
    }
    buffer.extend_from_slice(data);
    Ok(())
}

/// The next whole frame in `buffer`, if there is one.
fn decode(
    decoder: &mut MessageFrameDecoder,
    buffer: &mut BytesMut,
    prelude_checked: &mut bool,
    limits: &StreamLimits,
) -> Result<Option<Message>, FrameError> {
    if !*prelude_checked {
        if buffer.len() < PRELUDE_BYTES {
            return Ok(None);
        }
        check_prelude(&buffer[..PRELUDE_BYTES], limits.max_event_bytes)?;
        *prelude_checked = true;
    }

    match decoder.decode_frame(&mut *buffer) {
        Ok(DecodedFrame::Complete(message)) => {
            *prelude_checked = false;
            Ok(Some(message))
        }
        Ok(DecodedFrame::Incomplete) => Ok(None),
        Err(error) => Err(FrameError::Invalid(error.to_string())),
    }
}

/// The decoder trusts a prelude's length until the whole frame has arrived; checking the
/// prelude first makes a corrupted or oversized length fail at once instead of buffering up
/// to 4 GiB.
fn check_prelude(prelude: &[u8], max_event_bytes: usize) -> Result<(), FrameError> {
    let mut fields = prelude;
    let total = fields.get_u32();
    let headers = fields.get_u32();
    let crc = fields.get_u32();

    let computed = crc32fast::hash(&prelude[..8]);
    if computed != crc {
        return Err(FrameError::Invalid(format!(
            "prelude checksum mismatch: expected {computed:#010x}, found {crc:#010x}"
        )));
    }
    let fits =
        (MIN_FRAME_BYTES..=MAX_FRAME_BYTES).contains(&total) && headers <= total - MIN_FRAME_BYTES;
    if !fits {
        return Err(FrameError::Invalid(format!(
            "frame length {total} with {headers} bytes of headers is out of bounds"
        )));
    }
    if usize::try_from(total).map_or(true, |total| total > max_event_bytes) {
        return Err(FrameError::TooLarge(Exceeded::Event(max_event_bytes)));
    }
    Ok(())
}

fn ended(buffer: &BytesMut) -> Option<Result<Message, FrameError>> {
    // Bytes left over are the start of a frame that never finished.
    if buffer.is_empty() {
        None
    } else {
        Some(Err(FrameError::Truncated))
    }
}

impl<B> std::fmt::Debug for FrameStream<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameStream")
            .field("limits", &self.limits)
            .field("buffered", &self.buffer.len())
            .finish_non_exhaustive()
    }
}

/// What a frame carries, by its `:message-type` header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Frame {
    /// `:message-type: event`, named by `:event-type`, with a JSON payload.
    Event { event_type: String, payload: Bytes },
    /// `:message-type: exception`, named by `:exception-type` (such as
    /// `throttlingException`), with a `{"message": ...}` payload.
    Exception {
        exception_type: String,
        payload: Bytes,
    },
    /// `:message-type: error`, with `:error-code` and `:error-message` headers.
    Error { code: String, message: String },
}

impl Frame {
    /// Reads a decoded message's headers.
    pub(crate) fn read(message: Message) -> Result<Frame, FrameError> {
        // Exceptions and errors always name their type, so a frame that names none is an event.
        let message_type = header(&message, ":message-type").unwrap_or("event");
        match message_type {
            "event" => Ok(Frame::Event {
                event_type: required(&message, ":event-type")?,
                payload: message.payload().clone(),
            }),
            "exception" => Ok(Frame::Exception {
                exception_type: required(&message, ":exception-type")?,
                payload: message.payload().clone(),
            }),
            "error" => Ok(Frame::Error {
                code: required(&message, ":error-code")?,
                message: header(&message, ":error-message")
                    .unwrap_or_default()
                    .to_owned(),
            }),
            other => Err(FrameError::Invalid(format!(
                "unknown :message-type `{other}`"
            ))),
        }
    }
}

fn header<'m>(message: &'m Message, name: &str) -> Option<&'m str> {
    message
        .headers()
        .iter()
        .find(|header| header.name().as_str() == name)
        .and_then(|header| match header.value() {
            HeaderValue::String(value) => Some(value.as_str()),
            _ => None,
        })
}

fn required(message: &Message, name: &str) -> Result<String, FrameError> {
    header(message, name)
        .map(str::to_owned)
        .ok_or_else(|| FrameError::Invalid(format!("frame lacks the string header `{name}`")))
}

#[cfg(test)]
mod tests;
