//! Anthropic's event stream translated to OpenAI's chunks, event by event.
//!
//! [`Translator`] is the state one stream needs: the message's id and model, which are
//! stamped on every chunk; which of Anthropic's content blocks are text and which are tool
//! calls, with the OpenAI index each call gets; and the usage so far. [`Chunks`] drives it
//! over the decoded events and makes sure a stream that stops before `message_stop` ends
//! with an error rather than passing for a complete answer.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_core::Stream;
use hub_core::chat::{
    ChatCompletionChunk, ChunkChoice, Delta, FinishReason, FunctionCallDelta, ToolCallDelta,
};
use hub_core::{Error, Extra};
use serde_json::Value;
use sse_stream::Sse;

use super::error::reported;
use super::response::{finish_reason, usage};
use super::wire::{self, BlockDelta, ResponseBlock, StartedMessage, StreamEvent};
use crate::sse::SseError;
use crate::upstream::stream_failure;

/// What one upstream event asks of the client's stream.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// Send this chunk.
    Chunk(ChatCompletionChunk),
    /// Nothing for the client: a ping, a block start or stop, what OpenAI has no field for.
    Skip,
    /// The answer is complete; send this last chunk, if any, and end.
    End(Option<ChatCompletionChunk>),
}

/// What a content block of the answer turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Text,
    /// A tool call, with its OpenAI index: its rank among the answer's tool calls.
    ToolCall(u32),
    /// Thinking and server-tool blocks, which OpenAI's format has no place for.
    Ignored,
}

/// The state of one stream's translation.
#[derive(Debug)]
pub(crate) struct Translator {
    provider: String,
    created: u64,
    include_usage: bool,
    message: Option<StartedMessage>,
    usage: wire::Usage,
    blocks: HashMap<u32, Block>,
    tool_calls: u32,
    finished: bool,
}

impl Translator {
    /// A translator for a stream from `provider`, answering at `created` (Unix seconds), with
    /// a final usage chunk when `include_usage`.
    pub(crate) fn new(provider: &str, created: u64, include_usage: bool) -> Self {
        Translator {
            provider: provider.to_owned(),
            created,
            include_usage,
            message: None,
            usage: wire::Usage::default(),
            blocks: HashMap::new(),
            tool_calls: 0,
            finished: false,
        }
    }

    /// Translates one server-sent event.
    pub(crate) fn event(&mut self, event: &Sse) -> Result<Step, Error> {
        // Pings say only that the connection lives; they need no decoding.
        if event.event.as_deref() == Some("ping") {
            return Ok(Step::Skip);
        }
        let Some(data) = event.data.as_deref().filter(|data| !data.is_empty()) else {
            return Ok(Step::Skip);
        };

        let decoded = serde_json::from_str::<StreamEvent>(data)
            .map_err(|error| self.protocol(format!("unexpected stream event: {error}")))?;
        self.on(decoded)
    }

    fn on(&mut self, event: StreamEvent) -> Result<Step, Error> {
        match event {
            StreamEvent::Ping | StreamEvent::Other | StreamEvent::ContentBlockStop { .. } => {
                Ok(Step::Skip)
            }
            StreamEvent::Error { error } => Err(reported(&self.provider, error)),
            StreamEvent::MessageStart { message } => self.start(message),
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => self.block_start(index, content_block),
            StreamEvent::ContentBlockDelta { index, delta } => self.block_delta(index, delta),
            StreamEvent::MessageDelta { delta, usage } => {
                self.started()?;
                self.add_usage(usage);
                Ok(match delta.stop_reason {
                    Some(reason) if !self.finished => {
                        self.finished = true;
                        Step::Chunk(self.delta(Delta::default(), Some(finish_reason(&reason)))?)
                    }
                    _ => Step::Skip,
                })
            }
            StreamEvent::MessageStop => {
                self.started()?;
                let usage_chunk = self.include_usage.then(|| self.usage_chunk()).transpose()?;
                Ok(Step::End(usage_chunk))
            }
        }
    }

    /// `message_start`: the id and model of every chunk, the prompt's usage, and the
    /// opening chunk that carries the role.
    fn start(&mut self, message: StartedMessage) -> Result<Step, Error> {
        if self.message.is_some() {
            return Err(self.protocol("a second message_start in one stream"));
        }
        self.usage = message.usage;
        self.message = Some(message);

        let opening = Delta {
            role: Some("assistant".to_owned()),
            content: Some(String::new()),
            ..Delta::default()
        };
        Ok(Step::Chunk(self.delta(opening, None)?))
    }

    fn block_start(&mut self, index: u32, block: ResponseBlock) -> Result<Step, Error> {
        self.started()?;
        match block {
            ResponseBlock::Text { text } => {
                self.blocks.insert(index, Block::Text);
                self.text(text)
            }
            ResponseBlock::ToolUse { id, name, input } => {
                let call = self.tool_calls;
                self.tool_calls += 1;
                self.blocks.insert(index, Block::ToolCall(call));

                // Streamed calls start with an empty input and send it as JSON deltas; an
                // input given up front is sent whole as the first arguments.
                let arguments = match input {
                    Value::Object(map) if !map.is_empty() => Value::Object(map).to_string(),
                    _ => String::new(),
                };
                let opening = ToolCallDelta {
                    index: call,
                    id: Some(id),
                    kind: Some("function".to_owned()),
                    function: Some(FunctionCallDelta {
                        name: Some(name),
                        arguments: Some(arguments),
                    }),
                    extra: Extra::new(),
                };
                self.tool_call(opening)
            }
            ResponseBlock::Other => {
                self.blocks.insert(index, Block::Ignored);
                Ok(Step::Skip)
            }
        }
    }

    fn block_delta(&mut self, index: u32, delta: BlockDelta) -> Result<Step, Error> {
        self.started()?;
        let block =
            self.blocks.get(&index).copied().ok_or_else(|| {
                self.protocol(format!("a delta for block {index}, never started"))
            })?;

        match (block, delta) {
            (Block::Ignored, _) | (_, BlockDelta::Other) => Ok(Step::Skip),
            (Block::Text, BlockDelta::TextDelta { text }) => self.text(text),
            (Block::ToolCall(call), BlockDelta::InputJsonDelta { partial_json }) => {
                if partial_json.is_empty() {
                    return Ok(Step::Skip);
                }
                self.tool_call(ToolCallDelta {
                    index: call,
                    function: Some(FunctionCallDelta {
                        name: None,
                        arguments: Some(partial_json),
                    }),
                    ..ToolCallDelta::default()
                })
            }
            (_, delta) => Err(self.protocol(format!(
                "a {} for block {index}, which is not of that kind",
                delta_name(&delta)
            ))),
        }
    }

    fn text(&self, text: String) -> Result<Step, Error> {
        if text.is_empty() {
            return Ok(Step::Skip);
        }
        let delta = Delta {
            content: Some(text),
            ..Delta::default()
        };
        Ok(Step::Chunk(self.delta(delta, None)?))
    }

    fn tool_call(&self, call: ToolCallDelta) -> Result<Step, Error> {
        let delta = Delta {
            tool_calls: Some(vec![call]),
            ..Delta::default()
        };
        Ok(Step::Chunk(self.delta(delta, None)?))
    }

    /// `message_delta` usage is cumulative: each field it carries replaces the one before.
    fn add_usage(&mut self, delta: wire::Usage) {
        let usage = &mut self.usage;
        usage.input_tokens = delta.input_tokens.or(usage.input_tokens);
        usage.output_tokens = delta.output_tokens.or(usage.output_tokens);
        usage.cache_creation_input_tokens = delta
            .cache_creation_input_tokens
            .or(usage.cache_creation_input_tokens);
        usage.cache_read_input_tokens = delta
            .cache_read_input_tokens
            .or(usage.cache_read_input_tokens);
    }

    fn delta(
        &self,
        delta: Delta,
        finish_reason: Option<FinishReason>,
    ) -> Result<ChatCompletionChunk, Error> {
        let choice = ChunkChoice {
            index: 0,
            delta,
            logprobs: None,
            finish_reason,
            extra: Extra::new(),
        };
        self.chunk(vec![choice], None)
    }

    fn usage_chunk(&self) -> Result<ChatCompletionChunk, Error> {
        self.chunk(Vec::new(), Some(usage(&self.usage)))
    }

    fn chunk(
        &self,
        choices: Vec<ChunkChoice>,
        usage: Option<hub_core::Usage>,
    ) -> Result<ChatCompletionChunk, Error> {
        let message = self.started()?;
        Ok(ChatCompletionChunk {
            id: message.id.clone(),
            object: "chat.completion.chunk".to_owned(),
            created: self.created,
            model: message.model.clone(),
            choices,
            usage,
            system_fingerprint: None,
            service_tier: None,
            extra: Extra::new(),
        })
    }

    /// The message `message_start` announced; every other event comes after it.
    fn started(&self) -> Result<&StartedMessage, Error> {
        self.message
            .as_ref()
            .ok_or_else(|| self.protocol("a stream event before message_start"))
    }

    /// The error for a stream that ended before `message_stop`.
    fn cut_off(&self) -> Error {
        self.protocol("the stream ended before message_stop")
    }

    fn protocol(&self, message: impl Into<String>) -> Error {
        Error::UpstreamProtocol {
            provider: self.provider.clone(),
            message: message.into(),
        }
    }
}

fn delta_name(delta: &BlockDelta) -> &'static str {
    match delta {
        BlockDelta::TextDelta { .. } => "text_delta",
        BlockDelta::InputJsonDelta { .. } => "input_json_delta",
        BlockDelta::Other => "delta",
    }
}

/// The client's chunks, translated from the upstream's decoded events as they arrive.
#[derive(Debug)]
pub(crate) struct Chunks<S> {
    events: S,
    translator: Translator,
    /// The upstream's idle timeout, for the error when it went quiet.
    idle_timeout: Duration,
    done: bool,
}

impl<S> Chunks<S> {
    pub(crate) fn new(events: S, translator: Translator, idle_timeout: Duration) -> Self {
        Chunks {
            events,
            translator,
            idle_timeout,
            done: false,
        }
    }

    fn broken(&self, error: &SseError) -> Error {
        stream_failure(&self.translator.provider, self.idle_timeout, error)
    }
}

impl<S> Stream for Chunks<S>
where
    S: Stream<Item = Result<Sse, SseError>> + Unpin,
{
    type Item = Result<ChatCompletionChunk, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        while !this.done {
            let step = match ready!(Pin::new(&mut this.events).poll_next(cx)) {
                Some(Ok(event)) => this.translator.event(&event),
                Some(Err(error)) => Err(this.broken(&error)),
                None => Err(this.translator.cut_off()),
            };

            match step {
                Ok(Step::Skip) => {}
                Ok(Step::Chunk(chunk)) => return Poll::Ready(Some(Ok(chunk))),
                Ok(Step::End(last)) => {
                    this.done = true;
                    return Poll::Ready(last.map(Ok));
                }
                Err(error) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
        Poll::Ready(None)
    }
}

#[cfg(test)]
mod tests;
