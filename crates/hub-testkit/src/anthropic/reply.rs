//! The deterministic "model" behind the Messages API, and its answer whole or as events.
//!
//! It follows the OpenAI emulator's convention, so the same end-to-end checks hold whichever
//! emulator serves a model: the reply is `Echo: <text of the last user turn>`; a tool is
//! called when `tool_choice` is `any` or names it, or when it is `auto`, the last turn is the
//! user's own words (not tool results), and they mention "weather". Called on its own
//! initiative, the model first says a few words, as Claude does, so answers mix text and
//! `tool_use` blocks. Structured output answers JSON built from the schema.

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::content::{Block, Role, Turn};
use super::request::{MessagesRequest, ToolChoice, ToolDefinition};
use crate::chat::reply::{example_object, mentions_weather};
use crate::tokens;

/// What the model says before a call it chose to make.
const PREAMBLE: &str = "Let me check that.";

/// Tool input streams in pieces of this many characters, so clients must reassemble it.
const INPUT_FRAGMENT_CHARS: usize = 8;

/// The content of the answer and why it ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    blocks: Vec<AnswerBlock>,
    stop_reason: &'static str,
    stop_sequence: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum AnswerBlock {
    Text(String),
    ToolUse {
        id: String,
        name: String,
        input: Map<String, Value>,
    },
}

impl AnswerBlock {
    fn tokens(&self) -> usize {
        match self {
            Self::Text(text) => tokens::count(text),
            // A call costs at least one token even when its input is a bare `{}`.
            Self::ToolUse { input, .. } => {
                tokens::count(&Value::Object(input.clone()).to_string()).max(1)
            }
        }
    }
}

impl Answer {
    fn output_tokens(&self) -> usize {
        self.blocks.iter().map(AnswerBlock::tokens).sum()
    }
}

/// The answer to a valid request; `serial` makes tool-use ids unique within the mock.
pub(crate) fn answer(request: &MessagesRequest<'_>, serial: u64) -> Answer {
    if let Some((tool, chosen_freely)) = chosen_tool(request) {
        let call = AnswerBlock::ToolUse {
            id: format!("toolu_mock{serial:06}"),
            name: tool.name.to_owned(),
            input: example_object(Some(tool.input_schema)),
        };
        let blocks = if chosen_freely {
            vec![AnswerBlock::Text(PREAMBLE.to_owned()), call]
        } else {
            vec![call]
        };
        return Answer {
            blocks,
            stop_reason: "tool_use",
            stop_sequence: None,
        };
    }

    let full = match request.output_schema {
        Some(schema) => Value::Object(example_object(Some(schema))).to_string(),
        None => format!("Echo: {}", last_user_text(request)),
    };
    text_answer(&full, request)
}

/// The tool to call, and whether the model chose it on its own.
fn chosen_tool<'r>(request: &'r MessagesRequest<'_>) -> Option<(&'r ToolDefinition<'r>, bool)> {
    match request.tool_choice {
        ToolChoice::None => None,
        ToolChoice::Any => request.tools.first().map(|tool| (tool, false)),
        ToolChoice::Tool(name) => request
            .tools
            .iter()
            .find(|tool| tool.name == name)
            .map(|tool| (tool, false)),
        ToolChoice::Auto => {
            let last = request.turns.last()?;
            let own_words = last.role == Role::User
                && !last
                    .blocks
                    .iter()
                    .any(|block| matches!(block, Block::ToolResult { .. }));
            (own_words && mentions_weather(&last.text()))
                .then(|| request.tools.first().map(|tool| (tool, true)))
                .flatten()
        }
    }
}

fn last_user_text(request: &MessagesRequest<'_>) -> String {
    request
        .turns
        .iter()
        .rev()
        .find(|turn| turn.role == Role::User)
        .map(Turn::text)
        .unwrap_or_default()
}

/// The reply cut at the earliest stop sequence, then at `max_tokens`.
fn text_answer(full: &str, request: &MessagesRequest<'_>) -> Answer {
    let stop = request
        .stop_sequences
        .iter()
        .filter(|sequence| !sequence.is_empty())
        .filter_map(|sequence| full.find(sequence).map(|at| (at, *sequence)))
        .min();
    let (text, mut stop_reason, stop_sequence) = match stop {
        Some((at, sequence)) => (&full[..at], "stop_sequence", Some(sequence.to_owned())),
        None => (full, "end_turn", None),
    };

    let limit = usize::try_from(request.max_tokens).unwrap_or(usize::MAX);
    let text = match tokens::truncate(text, limit) {
        Some(cut) => {
            stop_reason = "max_tokens";
            cut
        }
        None => text.to_owned(),
    };

    let blocks = if text.is_empty() {
        Vec::new()
    } else {
        vec![AnswerBlock::Text(text)]
    };
    Answer {
        blocks,
        stop_reason,
        stop_sequence: stop_sequence.filter(|_| stop_reason == "stop_sequence"),
    }
}

/// Tokens of the prompt: the words of the system prompt, texts and tool results.
pub(crate) fn input_tokens(request: &MessagesRequest<'_>) -> usize {
    let system: usize = request.system.iter().map(|text| tokens::count(text)).sum();
    let turns: usize = request
        .turns
        .iter()
        .flat_map(|turn| &turn.blocks)
        .map(|block| match block {
            Block::Text(text) => tokens::count(text),
            Block::ToolResult { text, .. } => tokens::count(text),
            Block::ToolUse { .. } | Block::Other => 0,
        })
        .sum();
    system + turns
}

/// Everything a message carries besides its content.
#[derive(Debug)]
pub(crate) struct Envelope<'a> {
    pub(crate) id: String,
    pub(crate) model: &'a str,
    pub(crate) input_tokens: usize,
}

/// The `Message` of a non-streamed answer.
pub(crate) fn message(envelope: &Envelope<'_>, answer: &Answer) -> Value {
    let content: Vec<Value> = answer.blocks.iter().map(block_json).collect();
    json!({
        "id": envelope.id,
        "type": "message",
        "role": "assistant",
        "model": envelope.model,
        "content": content,
        "stop_reason": answer.stop_reason,
        "stop_sequence": answer.stop_sequence,
        "usage": usage(envelope.input_tokens, answer.output_tokens())
    })
}

fn block_json(block: &AnswerBlock) -> Value {
    match block {
        AnswerBlock::Text(text) => json!({"type": "text", "text": text}),
        AnswerBlock::ToolUse { id, name, input } => {
            json!({"type": "tool_use", "id": id, "name": name, "input": input})
        }
    }
}

fn usage(input_tokens: usize, output_tokens: usize) -> Value {
    json!({
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0
    })
}

/// One SSE event as Anthropic sends it: an `event:` line naming the data's `type`.
pub(crate) fn event(name: &str, data: &impl Serialize) -> Bytes {
    let data =
        serde_json::to_string(data).expect("event payloads are JSON values with string keys");
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// The events of a streamed answer (PROTOCOLS.md 2.4): `message_start`, each block's start,
/// deltas and stop, a `ping` after the first block starts, `message_delta`, `message_stop`.
pub(crate) fn stream_events(envelope: &Envelope<'_>, answer: &Answer) -> Vec<Bytes> {
    let mut events = vec![event(
        "message_start",
        &json!({"type": "message_start", "message": {
            "id": envelope.id, "type": "message", "role": "assistant", "content": [],
            "model": envelope.model, "stop_reason": null, "stop_sequence": null,
            "usage": usage(envelope.input_tokens, 1)
        }}),
    )];

    for (index, block) in answer.blocks.iter().enumerate() {
        events.extend(block_events(index, block));
    }

    events.push(event(
        "message_delta",
        &json!({"type": "message_delta",
            "delta": {"stop_reason": answer.stop_reason, "stop_sequence": answer.stop_sequence},
            "usage": {"output_tokens": answer.output_tokens()}}),
    ));
    events.push(event("message_stop", &json!({"type": "message_stop"})));
    events
}

fn block_events(index: usize, block: &AnswerBlock) -> Vec<Bytes> {
    let (opening, deltas) = match block {
        AnswerBlock::Text(text) => {
            let deltas = tokens::pieces(text)
                .into_iter()
                .map(|piece| json!({"type": "text_delta", "text": piece}))
                .collect::<Vec<_>>();
            (json!({"type": "text", "text": ""}), deltas)
        }
        AnswerBlock::ToolUse { id, name, input } => {
            let input = Value::Object(input.clone()).to_string();
            let deltas = tokens::fragments(&input, INPUT_FRAGMENT_CHARS)
                .into_iter()
                .map(|fragment| json!({"type": "input_json_delta", "partial_json": fragment}))
                .collect::<Vec<_>>();
            (
                json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                deltas,
            )
        }
    };

    let mut events = vec![event(
        "content_block_start",
        &json!({"type": "content_block_start", "index": index, "content_block": opening}),
    )];
    if index == 0 {
        events.push(event("ping", &json!({"type": "ping"})));
    }
    events.extend(deltas.into_iter().map(|delta| {
        event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": index, "delta": delta}),
        )
    }));
    events.push(event(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": index}),
    ));
    events
}
