//! `streamGenerateContent?alt=sse` as OpenAI's chunks, event by event.
//!
//! Each Vertex event is a partial `GenerateContentResponse`; each becomes at most one chunk,
//! with one choice per candidate it mentions. The first chunk of a candidate carries the
//! `assistant` role; function calls arrive whole and become one tool-call fragment each, with
//! `index` counting the candidate's calls. Vertex ends a stream at EOF without `[DONE]`: after
//! the last event, the usage Vertex reported comes as OpenAI's final usage chunk, and a stream
//! that ended before every candidate finished is reported as cut off.

use bytes::Bytes;
use std::collections::BTreeMap;

use futures_util::StreamExt;
use http_body::Body;
use hub_core::chat::{
    ChatCompletionChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCall, ToolCallDelta,
};
use hub_core::{ChatStream, Error, Extra};
use serde::Deserialize;

use super::error::{GoogleError, to_openai};
use super::response::{Envelope, finish_reason, no_candidates, split_parts, usage};
use super::wire::{Candidate, GenerateContentResponse, UsageMetadata};
use crate::sse::EventStream;
use crate::upstream::Upstream;

/// One `data:` event: an answer, or an error reported after the stream began.
#[derive(Deserialize)]
struct Event {
    #[serde(default)]
    error: Option<GoogleError>,
    #[serde(flatten)]
    response: GenerateContentResponse,
}

/// Where a candidate's answer stands.
#[derive(Debug, Default)]
struct Progress {
    calls: usize,
    finished: bool,
}

/// The translation's state across events.
#[derive(Debug)]
pub(super) struct Translator {
    upstream: Upstream,
    model: String,
    created: u64,
    include_usage: bool,
    envelope: Option<Envelope>,
    candidates: BTreeMap<u32, Progress>,
    usage: Option<UsageMetadata>,
}

impl Translator {
    pub(super) fn new(
        upstream: Upstream,
        model: String,
        created: u64,
        include_usage: bool,
    ) -> Self {
        Translator {
            upstream,
            model,
            created,
            include_usage,
            envelope: None,
            candidates: BTreeMap::new(),
            usage: None,
        }
    }

    /// The chunk for one event's data, if it adds anything.
    pub(super) fn event(&mut self, data: &str) -> Result<Option<ChatCompletionChunk>, Error> {
        let event: Event = serde_json::from_str(data).map_err(|error| {
            self.upstream
                .protocol(format!("unexpected stream event: {error}"))
        })?;
        if let Some(error) = event.error {
            return Err(Error::UpstreamReported {
                provider: self.upstream.provider.clone(),
                body: Box::new(to_openai(&error, None)),
            });
        }

        let response = event.response;
        if response.usage_metadata.is_some() {
            self.usage = response.usage_metadata;
        }
        if response.candidates.is_empty() && response.prompt_feedback.is_some() {
            return Err(no_candidates(
                response.prompt_feedback.as_ref(),
                &self.upstream.provider,
            ));
        }

        let envelope = self
            .envelope
            .get_or_insert_with(|| Envelope::of(&response, &self.model, self.created))
            .clone();
        let choices: Vec<ChunkChoice> = response
            .candidates
            .iter()
            .filter_map(|candidate| self.choice(candidate))
            .collect();
        Ok((!choices.is_empty()).then(|| chunk(&envelope, choices, None)))
    }

    fn choice(&mut self, candidate: &Candidate) -> Option<ChunkChoice> {
        let opening = !self.candidates.contains_key(&candidate.index);
        let progress = self.candidates.entry(candidate.index).or_default();

        let (text, calls) = split_parts(candidate, progress.calls);
        progress.calls += calls.len();
        let finish = finish_reason(candidate.finish_reason.as_deref(), progress.calls > 0);
        progress.finished |= finish.is_some();

        let delta = Delta {
            role: opening.then(|| "assistant".to_owned()),
            content: text,
            tool_calls: (!calls.is_empty()).then(|| fragments(calls, progress.calls)),
            ..Delta::default()
        };
        let empty = delta == Delta::default() && finish.is_none();
        (!empty).then(|| ChunkChoice {
            index: candidate.index,
            delta,
            logprobs: None,
            finish_reason: finish,
            extra: Extra::new(),
        })
    }

    /// What follows the last event: the usage chunk, or the error of a stream cut short.
    pub(super) fn end(&self) -> Option<Result<ChatCompletionChunk, Error>> {
        let unfinished = self.candidates.values().any(|progress| !progress.finished);
        if self.candidates.is_empty() || unfinished {
            let error = self
                .upstream
                .protocol("stream ended before a finish reason");
            return Some(Err(error));
        }

        let metadata = self.usage.filter(|_| self.include_usage)?;
        let envelope = self.envelope.as_ref()?;
        Some(Ok(chunk(envelope, Vec::new(), Some(&metadata))))
    }
}

/// Calls as stream fragments, each whole; `total` is how many calls the candidate has made
/// including these.
fn fragments(calls: Vec<ToolCall>, total: usize) -> Vec<ToolCallDelta> {
    let first = total - calls.len();
    calls
        .into_iter()
        .enumerate()
        .map(|(offset, call)| ToolCallDelta {
            index: u32::try_from(first + offset).unwrap_or(u32::MAX),
            id: Some(call.id),
            kind: Some(call.kind),
            function: Some(FunctionCallDelta {
                name: Some(call.function.name),
                arguments: Some(call.function.arguments),
            }),
            extra: Extra::new(),
        })
        .collect()
}

fn chunk(
    envelope: &Envelope,
    choices: Vec<ChunkChoice>,
    metadata: Option<&UsageMetadata>,
) -> ChatCompletionChunk {
    ChatCompletionChunk {
        id: envelope.id.clone(),
        object: "chat.completion.chunk".to_owned(),
        created: envelope.created,
        model: envelope.model.clone(),
        choices,
        usage: metadata.map(usage),
        system_fingerprint: None,
        service_tier: None,
        extra: Extra::new(),
    }
}

/// The chunks of a Vertex event stream.
pub(super) fn chunks<B>(events: EventStream<B>, translator: Translator) -> ChatStream
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let state = Some((Box::pin(events), translator));
    Box::pin(futures_util::stream::unfold(state, |state| async move {
        let (mut events, mut translator) = state?;
        loop {
            let event = match events.next().await {
                Some(Ok(event)) => event,
                Some(Err(error)) => {
                    let error = translator.upstream.stream_error(&error);
                    return Some((Err(error), None));
                }
                None => return translator.end().map(|item| (item, None)),
            };
            let Some(data) = event.data else { continue };
            match translator.event(&data) {
                Ok(Some(chunk)) => return Some((Ok(chunk), Some((events, translator)))),
                Ok(None) => {}
                Err(error) => return Some((Err(error), None)),
            }
        }
    }))
}

#[cfg(test)]
mod tests;
