//! ConverseStream's events translated, one by one as they arrive, into OpenAI chunks.
//!
//! | Bedrock event | OpenAI chunk |
//! |---|---|
//! | `messageStart` | `delta: {role: "assistant", content: ""}` |
//! | `contentBlockStart` with `toolUse` | the call's first fragment: `id`, `type`, `name` |
//! | `contentBlockDelta` with `text` | `delta.content` |
//! | `contentBlockDelta` with `toolUse.input` | a fragment of the call's `arguments` |
//! | `messageStop` | nothing yet: the finish reason is kept |
//! | `metadata` | the finish chunk, then the usage chunk |
//!
//! Bedrock sends no `contentBlockStart` for text, so blocks are told apart by their
//! `contentBlockIndex`, not by arrival. Usage arrives in `metadata`, after `messageStop`, so the
//! final chunks wait for it. Reasoning deltas have no OpenAI chunk and are skipped, as are
//! events Hub does not know, which AWS may add.

use std::collections::{HashMap, VecDeque};

use futures_util::StreamExt;
use hub_core::chat::{
    ChatCompletionChunk, ChunkChoice, Delta, FinishReason, FunctionCallDelta, ToolCallDelta,
};
use hub_core::{ChatStream, Error, Extra, Usage};
use serde::Deserialize;
use serde_json::Value;

use super::error;
use super::eventstream::{Frame, FrameError, FrameStream};
use super::response::{Envelope, TokenUsage, finish_reason};
use crate::upstream::Upstream;

/// The translation state of one stream.
#[derive(Debug)]
pub(super) struct Translator {
    provider: String,
    envelope: Envelope,
    include_usage: bool,
    /// OpenAI's index of the tool call each `contentBlockIndex` holds.
    tool_calls: HashMap<u64, u32>,
    finish_reason: Option<FinishReason>,
    finished: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockStart {
    content_block_index: u64,
    start: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockDelta {
    content_block_index: u64,
    delta: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageStop {
    stop_reason: String,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    usage: TokenUsage,
}

impl Translator {
    pub(super) fn new(provider: &str, envelope: Envelope, include_usage: bool) -> Self {
        Translator {
            provider: provider.to_owned(),
            envelope,
            include_usage,
            tool_calls: HashMap::new(),
            finish_reason: None,
            finished: false,
        }
    }

    /// The chunks one event becomes: none, one, or the finish and usage chunks.
    pub(super) fn event(
        &mut self,
        event_type: &str,
        payload: &[u8],
    ) -> Result<Vec<ChatCompletionChunk>, Error> {
        match event_type {
            "messageStart" => Ok(vec![self.delta(Delta {
                role: Some("assistant".to_owned()),
                content: Some(String::new()),
                ..Delta::default()
            })]),
            "contentBlockStart" => self.block_start(&self.parse(payload)?),
            "contentBlockDelta" => self.block_delta(&self.parse(payload)?),
            "messageStop" => {
                let stop: MessageStop = self.parse(payload)?;
                self.finish_reason = Some(finish_reason(&self.provider, &stop.stop_reason)?);
                Ok(Vec::new())
            }
            "metadata" => {
                let metadata: Metadata = self.parse(payload)?;
                self.finish(Some(metadata.usage.to_openai()))
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The chunks owed when the body ends: the finish chunk if `metadata` never came.
    pub(super) fn end(&mut self) -> Result<Vec<ChatCompletionChunk>, Error> {
        if self.finished {
            return Ok(Vec::new());
        }
        if self.finish_reason.is_none() {
            return Err(self.protocol("the stream ended before messageStop"));
        }
        self.finish(None)
    }

    fn block_start(&mut self, start: &BlockStart) -> Result<Vec<ChatCompletionChunk>, Error> {
        let Some(tool_use) = start.start.get("toolUse") else {
            return Ok(Vec::new());
        };
        let field = |name: &str| {
            tool_use
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| self.protocol(format!("contentBlockStart.toolUse lacks `{name}`")))
        };
        let (id, name) = (field("toolUseId")?, field("name")?);

        let index = u32::try_from(self.tool_calls.len()).unwrap_or(u32::MAX);
        self.tool_calls.insert(start.content_block_index, index);
        Ok(vec![self.tool_call(ToolCallDelta {
            index,
            id: Some(id),
            kind: Some("function".to_owned()),
            function: Some(FunctionCallDelta {
                name: Some(name),
                arguments: Some(String::new()),
            }),
            extra: Extra::new(),
        })])
    }

    fn block_delta(&mut self, delta: &BlockDelta) -> Result<Vec<ChatCompletionChunk>, Error> {
        if let Some(text) = delta.delta.get("text").and_then(Value::as_str) {
            return Ok(vec![self.delta(Delta {
                content: Some(text.to_owned()),
                ..Delta::default()
            })]);
        }
        let Some(input) = delta
            .delta
            .pointer("/toolUse/input")
            .and_then(Value::as_str)
        else {
            return Ok(Vec::new());
        };

        let index = *self
            .tool_calls
            .get(&delta.content_block_index)
            .ok_or_else(|| self.protocol("a toolUse delta for a block that never started"))?;
        Ok(vec![self.tool_call(ToolCallDelta {
            index,
            function: Some(FunctionCallDelta {
                name: None,
                arguments: Some(input.to_owned()),
            }),
            ..ToolCallDelta::default()
        })])
    }

    fn finish(&mut self, usage: Option<Usage>) -> Result<Vec<ChatCompletionChunk>, Error> {
        let reason = self
            .finish_reason
            .clone()
            .ok_or_else(|| self.protocol("metadata arrived before messageStop"))?;
        self.finished = true;

        let mut chunks = vec![self.chunk(vec![ChunkChoice {
            index: 0,
            delta: Delta::default(),
            logprobs: None,
            finish_reason: Some(reason),
            extra: Extra::new(),
        }])];
        if let Some(usage) = usage.filter(|_| self.include_usage) {
            let mut last = self.chunk(Vec::new());
            last.usage = Some(usage);
            chunks.push(last);
        }
        Ok(chunks)
    }

    fn tool_call(&self, call: ToolCallDelta) -> ChatCompletionChunk {
        self.delta(Delta {
            tool_calls: Some(vec![call]),
            ..Delta::default()
        })
    }

    fn delta(&self, delta: Delta) -> ChatCompletionChunk {
        self.chunk(vec![ChunkChoice {
            index: 0,
            delta,
            logprobs: None,
            finish_reason: None,
            extra: Extra::new(),
        }])
    }

    fn chunk(&self, choices: Vec<ChunkChoice>) -> ChatCompletionChunk {
        ChatCompletionChunk {
            id: self.envelope.id.clone(),
            object: "chat.completion.chunk".to_owned(),
            created: self.envelope.created,
            model: self.envelope.model.clone(),
            choices,
            usage: None,
            system_fingerprint: None,
            service_tier: None,
            extra: Extra::new(),
        }
    }

    fn parse<'de, T: Deserialize<'de>>(&self, payload: &'de [u8]) -> Result<T, Error> {
        serde_json::from_slice(payload)
            .map_err(|error| self.protocol(format!("unexpected event payload: {error}")))
    }

    fn protocol(&self, message: impl Into<String>) -> Error {
        Error::UpstreamProtocol {
            provider: self.provider.clone(),
            message: message.into(),
        }
    }
}

/// The chunks of a ConverseStream body, ending with an error item if it breaks.
///
/// The first frame is read before the stream is handed on: an exception that arrives before
/// any event (throttling, a model not ready) then becomes an error status, which a client
/// handles better than a 200 whose stream fails at once.
pub(super) async fn open<B>(
    upstream: Upstream,
    frames: FrameStream<B>,
    translator: Translator,
) -> Result<ChatStream, Error>
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    let mut state = State {
        upstream,
        frames: Box::pin(frames),
        translator,
        pending: VecDeque::new(),
        done: false,
    };

    let first = match state.frames.next().await {
        Some(Ok(message)) => Frame::read(message).map_err(|error| state.frame_error(&error))?,
        Some(Err(error)) => return Err(state.frame_error(&error)),
        None => return Err(state.upstream.protocol("the stream ended before any event")),
    };
    if let Frame::Exception {
        exception_type,
        payload,
    } = &first
    {
        let provider = &state.upstream.provider;
        return Err(error::from_first_frame(provider, exception_type, payload));
    }
    let chunks = state.translate(first)?;
    state.pending.extend(chunks);

    Ok(Box::pin(futures_util::stream::unfold(
        state,
        |mut state| async move {
            let item = state.next().await?;
            Some((item, state))
        },
    )))
}

struct State<B> {
    upstream: Upstream,
    frames: std::pin::Pin<Box<FrameStream<B>>>,
    translator: Translator,
    pending: VecDeque<ChatCompletionChunk>,
    done: bool,
}

impl<B> State<B>
where
    B: http_body::Body<Data = bytes::Bytes>,
    B::Error: std::fmt::Display,
{
    async fn next(&mut self) -> Option<Result<ChatCompletionChunk, Error>> {
        loop {
            if let Some(chunk) = self.pending.pop_front() {
                return Some(Ok(chunk));
            }
            if self.done {
                return None;
            }

            let translated = match self.frames.next().await {
                Some(Ok(message)) => Frame::read(message)
                    .map_err(|error| self.frame_error(&error))
                    .and_then(|frame| self.translate(frame)),
                Some(Err(error)) => Err(self.frame_error(&error)),
                None => {
                    self.done = true;
                    self.translator.end()
                }
            };
            match translated {
                Ok(chunks) => self.pending.extend(chunks),
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            }
        }
    }

    fn translate(&mut self, frame: Frame) -> Result<Vec<ChatCompletionChunk>, Error> {
        let provider = &self.upstream.provider;
        match frame {
            Frame::Event {
                event_type,
                payload,
            } => self.translator.event(&event_type, &payload),
            Frame::Exception {
                exception_type,
                payload,
            } => Err(error::from_stream_frame(
                provider,
                &exception_type,
                &payload,
            )),
            Frame::Error { code, message } => {
                Err(error::from_error_frame(provider, &code, &message))
            }
        }
    }

    fn frame_error(&self, error: &FrameError) -> Error {
        match error {
            FrameError::Idle(_) => self.upstream.timed_out(),
            FrameError::Body(_) | FrameError::Truncated => Error::UpstreamUnreachable {
                provider: self.upstream.provider.clone(),
                message: error.to_string(),
            },
            FrameError::TooLong(after) => Error::UpstreamTimeout {
                provider: self.upstream.provider.clone(),
                after: *after,
            },
            FrameError::Invalid(_) | FrameError::TooLarge(_) => {
                self.upstream.protocol(error.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests;
