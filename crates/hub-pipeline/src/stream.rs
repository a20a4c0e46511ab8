//! Streams to the client: chunks encoded as server-sent events, event by event.
//!
//! Nothing is buffered: each chunk is encoded when the provider yields it, and the next is
//! asked for only when hyper has written the last, so a slow client slows the upstream
//! read instead of growing a queue.

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hub_core::chat::{ChatCompletion, ChatCompletionChunk, FinishReason};
use hub_core::completion::Completion;
use hub_core::{BoxStream, Error, Usage};
use hub_providers::sse::{DONE, data_event};
use hyper::body::Frame;
use serde::Serialize;

use crate::gateway::ResponseBody;
use crate::telemetry::metrics::Meter;

/// A whole answer or a piece of one, as telemetry reads it.
pub(crate) trait Answer {
    fn id(&self) -> &str;

    fn model(&self) -> &str;

    fn usage(&self) -> Option<&Usage>;

    /// Calls `f` with each choice's finish reason present.
    fn for_each_finish_reason(&self, f: impl FnMut(&FinishReason));

    /// Calls `f` with the text each choice holds or adds.
    fn for_each_text(&self, f: impl FnMut(&str));
}

/// A chunk of a streamed answer.
pub(crate) trait StreamChunk: Answer + Serialize + Send + 'static {
    /// Whether the chunk carries choices, as all but the final usage chunk do.
    fn has_choices(&self) -> bool;
}

impl Answer for ChatCompletionChunk {
    fn id(&self) -> &str {
        &self.id
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    fn for_each_finish_reason(&self, f: impl FnMut(&FinishReason)) {
        self.choices
            .iter()
            .filter_map(|c| c.finish_reason.as_ref())
            .for_each(f);
    }

    fn for_each_text(&self, f: impl FnMut(&str)) {
        self.choices
            .iter()
            .filter_map(|c| c.delta.content.as_deref())
            .for_each(f);
    }
}

impl StreamChunk for ChatCompletionChunk {
    fn has_choices(&self) -> bool {
        !self.choices.is_empty()
    }
}

impl Answer for ChatCompletion {
    fn id(&self) -> &str {
        &self.id
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    fn for_each_finish_reason(&self, f: impl FnMut(&FinishReason)) {
        self.choices
            .iter()
            .filter_map(|c| c.finish_reason.as_ref())
            .for_each(f);
    }

    fn for_each_text(&self, f: impl FnMut(&str)) {
        self.choices
            .iter()
            .filter_map(|c| c.message.content.as_deref())
            .for_each(f);
    }
}

/// Legacy completions use one shape for a whole answer and for each chunk.
impl Answer for Completion {
    fn id(&self) -> &str {
        &self.id
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    fn for_each_finish_reason(&self, f: impl FnMut(&FinishReason)) {
        self.choices
            .iter()
            .filter_map(|c| c.finish_reason.as_ref())
            .for_each(f);
    }

    fn for_each_text(&self, f: impl FnMut(&str)) {
        self.choices.iter().map(|c| c.text.as_str()).for_each(f);
    }
}

impl StreamChunk for Completion {
    fn has_choices(&self) -> bool {
        !self.choices.is_empty()
    }
}

/// The response body of a stream: one `data:` event per chunk, then `data: [DONE]`.
///
/// Hub always asks the upstream for usage so that it can count tokens; the usage-only
/// chunk reaches the client only when `client_wants_usage`. An error mid-stream is sent as
/// an `{"error": ...}` event, which the OpenAI SDKs raise, and ends the stream.
///
/// `meter` records the stream's first chunk and tokens as they pass, and the request when
/// the stream ends or the client leaves.
pub(crate) fn sse_body<T: StreamChunk>(
    chunks: BoxStream<Result<T, Error>>,
    client_wants_usage: bool,
    meter: Meter,
) -> ResponseBody {
    let state = Some((chunks, meter));
    let events = futures_util::stream::unfold(state, move |state| async move {
        let (mut chunks, mut meter) = state?;
        loop {
            let chunk = match chunks.next().await {
                Some(Ok(chunk)) => chunk,
                Some(Err(error)) => {
                    let logged = error.without_content();
                    tracing::debug!(error = %logged, "stream failed after it started");
                    return Some((encode(&error.to_body()), None));
                }
                None => return Some((Bytes::from_static(DONE), None)),
            };

            meter.chunk();
            if let Some(usage) = chunk.usage() {
                meter.usage(usage.prompt_tokens, Some(usage.completion_tokens));
            }
            if client_wants_usage || chunk.has_choices() {
                return Some((encode(&chunk), Some((chunks, meter))));
            }
        }
    });
    StreamBody::new(events.map(|event| Ok::<_, Infallible>(Frame::data(event)))).boxed_unsync()
}

fn encode(payload: &impl Serialize) -> Bytes {
    // Hub's own types always serialize; an empty event would be skipped by clients.
    data_event(payload).unwrap_or_default()
}
