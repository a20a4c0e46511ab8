//! Reading a streamed chat answer: server-sent events, one chunk per `data:` line, ending
//! with `data: [DONE]`, or with an error event when the call failed after the stream began.

use hub_core::chat::{ChatCompletionChunk, FunctionCall, ToolCall, ToolCallDelta};
use hub_core::{ErrorBody, Extra};
use serde_json::Value;

use crate::answer::Answer;

/// Why a stream did not add up to an answer.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The server sent an error event, as Hub does when the provider fails mid-stream.
    #[error("the stream reported an error: {}", .0.error.message)]
    Reported(ErrorBody),
    /// A `data:` line held neither a chunk nor an error.
    #[error("a data line is not a chunk: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The stream ended without `data: [DONE]`: the answer may be cut short.
    #[error("the stream ended before data: [DONE]")]
    Truncated,
}

/// Adds up the chunks of one stream into the answer a whole response would have held.
#[derive(Debug, Default)]
pub struct Accumulator {
    answer: Answer,
    done: bool,
}

impl Accumulator {
    /// Takes one line of the event stream. Lines other than `data:` lines (the blank line
    /// between events, comments) carry nothing.
    pub fn push_line(&mut self, line: &str) -> Result<(), StreamError> {
        let Some(data) = line.strip_prefix("data:") else {
            return Ok(());
        };
        let data = data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }

        // An error event is an object with `error` where a chunk has `choices`.
        let event: Value = serde_json::from_str(data)?;
        if event.get("error").is_some() {
            return Err(StreamError::Reported(serde_json::from_value(event)?));
        }
        self.push_chunk(serde_json::from_value(event)?);
        Ok(())
    }

    /// Takes one decoded chunk: text and tool-call fragments of the first choice, its finish
    /// reason, and the usage of the last chunk.
    pub fn push_chunk(&mut self, chunk: ChatCompletionChunk) {
        if chunk.usage.is_some() {
            self.answer.usage = chunk.usage;
        }
        for choice in chunk.choices.into_iter().filter(|choice| choice.index == 0) {
            if let Some(text) = choice.delta.content {
                self.answer.text.push_str(&text);
            }
            for fragment in choice.delta.tool_calls.into_iter().flatten() {
                self.push_tool_fragment(fragment);
            }
            if choice.finish_reason.is_some() {
                self.answer.finish_reason = choice.finish_reason;
            }
        }
    }

    /// A call's first fragment carries its id and function name; later ones carry pieces of
    /// its arguments. Fragments name their call by `index`, not by id.
    fn push_tool_fragment(&mut self, fragment: ToolCallDelta) {
        let index = fragment.index as usize;
        let calls = &mut self.answer.tool_calls;
        while calls.len() <= index {
            calls.push(ToolCall {
                id: String::new(),
                kind: "function".to_owned(),
                function: FunctionCall {
                    name: String::new(),
                    arguments: String::new(),
                },
                extra: Extra::new(),
            });
        }

        let call = &mut calls[index];
        if let Some(id) = fragment.id {
            call.id = id;
        }
        if let Some(function) = fragment.function {
            call.function
                .name
                .push_str(&function.name.unwrap_or_default());
            call.function
                .arguments
                .push_str(&function.arguments.unwrap_or_default());
        }
    }

    /// The answer, once the stream has said it is whole.
    pub fn finish(self) -> Result<Answer, StreamError> {
        if self.done {
            Ok(self.answer)
        } else {
            Err(StreamError::Truncated)
        }
    }
}

/// Reads a whole event stream held in memory.
pub fn read(events: &str) -> Result<Answer, StreamError> {
    let mut accumulator = Accumulator::default();
    for line in events.lines() {
        accumulator.push_line(line)?;
    }
    accumulator.finish()
}
