//! Streams to the client: chunks encoded as server-sent events, event by event.
//!
//! Nothing is buffered: each chunk is encoded when the provider yields it, and the next is
//! asked for only when hyper has written the last, so a slow client slows the upstream
//! read instead of growing a queue.

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hub_core::chat::ChatCompletionChunk;
use hub_core::completion::Completion;
use hub_core::{BoxStream, Error, Usage};
use hub_providers::sse::{DONE, data_event};
use hyper::body::Frame;
use serde::Serialize;

use crate::gateway::ResponseBody;

/// A chunk of a streamed answer.
pub(crate) trait StreamChunk: Serialize + Send + 'static {
    fn usage(&self) -> Option<&Usage>;

    /// Whether the chunk carries choices, as all but the final usage chunk do.
    fn has_choices(&self) -> bool;
}

impl StreamChunk for ChatCompletionChunk {
    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    fn has_choices(&self) -> bool {
        !self.choices.is_empty()
    }
}

impl StreamChunk for Completion {
    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    fn has_choices(&self) -> bool {
        !self.choices.is_empty()
    }
}

/// The response body of a stream: one `data:` event per chunk, then `data: [DONE]`.
///
/// Hub always asks the upstream for usage so that it can count tokens; the usage-only
/// chunk reaches the client only when `client_wants_usage`. An error mid-stream is sent as
/// an `{"error": ...}` event, which the OpenAI SDKs raise, and ends the stream.
pub(crate) fn sse_body<T: StreamChunk>(
    chunks: BoxStream<Result<T, Error>>,
    client_wants_usage: bool,
) -> ResponseBody {
    let events = futures_util::stream::unfold(Some(chunks), move |state| async move {
        let mut chunks = state?;
        loop {
            match chunks.next().await {
                Some(Ok(chunk)) if !client_wants_usage && !chunk.has_choices() => continue,
                Some(Ok(chunk)) => return Some((encode(&chunk), Some(chunks))),
                Some(Err(error)) => {
                    tracing::debug!(%error, "stream failed after it started");
                    return Some((encode(&error.to_body()), None));
                }
                None => return Some((Bytes::from_static(DONE), None)),
            }
        }
    });
    StreamBody::new(events.map(|event| Ok::<_, Infallible>(Frame::data(event)))).boxed_unsync()
}

fn encode(payload: &impl Serialize) -> Bytes {
    // Hub's own types always serialize; an empty event would be skipped by clients.
    data_event(payload).unwrap_or_default()
}
