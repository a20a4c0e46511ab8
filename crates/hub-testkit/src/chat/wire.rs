//! The chat completion body and its streamed chunks, field for field as OpenAI sends them.

use serde::Serialize;
use serde_json::Value;

use super::reply::Answer;
use crate::body;
use crate::tokens;

/// Tool-call arguments stream in pieces of this many characters, like the real API's
/// fragments, so clients must reassemble them.
const ARGUMENT_FRAGMENT_CHARS: usize = 8;

/// Everything a chat response carries besides the choices' content.
#[derive(Debug)]
pub(super) struct Envelope {
    pub(super) id: String,
    pub(super) created: u64,
    pub(super) model: String,
    pub(super) serial: u64,
    pub(super) n: usize,
    pub(super) usage: Usage,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub(super) struct Usage {
    prompt_tokens: usize,
    completion_tokens: usize,
    total_tokens: usize,
    prompt_tokens_details: PromptDetails,
    completion_tokens_details: CompletionDetails,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct PromptDetails {
    cached_tokens: usize,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct CompletionDetails {
    reasoning_tokens: usize,
}

impl Usage {
    pub(super) fn new(prompt_tokens: usize, completion_tokens: usize) -> Self {
        Self {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
            prompt_tokens_details: PromptDetails { cached_tokens: 0 },
            completion_tokens_details: CompletionDetails {
                reasoning_tokens: 0,
            },
        }
    }
}

#[derive(Serialize)]
pub(super) struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: Vec<Choice<'a>>,
    usage: Usage,
    service_tier: &'static str,
    system_fingerprint: &'static str,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: usize,
    message: Message<'a>,
    logprobs: Option<()>,
    finish_reason: &'static str,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: Option<&'a str>,
    refusal: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<ToolCall<'a>>,
    annotations: [(); 0],
}

#[derive(Serialize)]
struct ToolCall<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    function: Function<'a>,
}

#[derive(Serialize)]
struct Function<'a> {
    name: &'a str,
    arguments: &'a str,
}

/// The id of the tool call in choice `index`, unique within the mock.
fn call_id(serial: u64, index: usize) -> String {
    format!("call_mock{serial:06}_{index}")
}

/// The `chat.completion` object of a non-streamed reply.
pub(super) fn completion<'a>(envelope: &'a Envelope, answer: &'a Answer) -> Completion<'a> {
    let choices = (0..envelope.n)
        .map(|index| Choice {
            index,
            message: message(envelope.serial, index, answer),
            logprobs: None,
            finish_reason: answer.finish_reason(),
        })
        .collect();

    Completion {
        id: &envelope.id,
        object: "chat.completion",
        created: envelope.created,
        model: &envelope.model,
        choices,
        usage: envelope.usage,
        service_tier: "default",
        system_fingerprint: "fp_mock",
    }
}

fn message<'a>(serial: u64, index: usize, answer: &'a Answer) -> Message<'a> {
    let (content, tool_calls) = match answer {
        Answer::Text(generated) => (Some(generated.text.as_str()), Vec::new()),
        Answer::ToolCall { name, arguments } => {
            let function = Function { name, arguments };
            let call = ToolCall {
                id: call_id(serial, index),
                kind: "function",
                function,
            };
            (None, vec![call])
        }
    };
    Message {
        role: "assistant",
        content,
        refusal: None,
        tool_calls,
        annotations: [],
    }
}

#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    service_tier: &'static str,
    system_fingerprint: &'static str,
    choices: Vec<ChunkChoice<'a>>,
    /// Absent unless usage was asked for; then `null` on every chunk but the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Option<Usage>>,
}

#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: usize,
    delta: Delta<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'static str>,
}

#[derive(Default, Serialize)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[ToolCallDelta<'a>; 1]>,
}

#[derive(Serialize)]
struct ToolCallDelta<'a> {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    function: FunctionDelta<'a>,
}

#[derive(Serialize)]
struct FunctionDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

/// The chunks of a streamed reply, `[DONE]` excluded: per choice a role chunk, content or
/// tool-call fragments and a finish chunk; then the usage chunk when `include_usage` is set.
pub(super) fn stream_chunks(
    envelope: &Envelope,
    answer: &Answer,
    include_usage: bool,
) -> Vec<Value> {
    let usage = include_usage.then_some(None);
    let choice_event = |index: usize, delta: Delta<'_>, finish_reason: Option<&'static str>| {
        let choice = ChunkChoice {
            index,
            delta,
            logprobs: None,
            finish_reason,
        };
        body::value(&chunk(envelope, vec![choice], usage))
    };

    let mut events = Vec::new();
    for index in 0..envelope.n {
        let opening = Delta {
            role: Some("assistant"),
            content: Some(""),
            ..Delta::default()
        };
        events.push(choice_event(index, opening, None));
        for delta in deltas(envelope.serial, index, answer) {
            events.push(choice_event(index, delta, None));
        }
        events.push(choice_event(
            index,
            Delta::default(),
            Some(answer.finish_reason()),
        ));
    }

    if include_usage {
        events.push(body::value(&chunk(
            envelope,
            Vec::new(),
            Some(Some(envelope.usage)),
        )));
    }
    events
}

fn chunk<'a>(
    envelope: &'a Envelope,
    choices: Vec<ChunkChoice<'a>>,
    usage: Option<Option<Usage>>,
) -> Chunk<'a> {
    Chunk {
        id: &envelope.id,
        object: "chat.completion.chunk",
        created: envelope.created,
        model: &envelope.model,
        service_tier: "default",
        system_fingerprint: "fp_mock",
        choices,
        usage,
    }
}

/// The deltas between the opening and the finish chunk of one choice.
fn deltas(serial: u64, index: usize, answer: &Answer) -> Vec<Delta<'_>> {
    match answer {
        Answer::Text(generated) => tokens::pieces(&generated.text)
            .into_iter()
            .map(|piece| Delta {
                content: Some(piece),
                ..Delta::default()
            })
            .collect(),
        Answer::ToolCall { name, arguments } => {
            let opening = ToolCallDelta {
                index: 0,
                id: Some(call_id(serial, index)),
                kind: Some("function"),
                function: FunctionDelta {
                    name: Some(name),
                    arguments: "",
                },
            };
            let fragments = tokens::fragments(arguments, ARGUMENT_FRAGMENT_CHARS)
                .into_iter()
                .map(|fragment| ToolCallDelta {
                    index: 0,
                    id: None,
                    kind: None,
                    function: FunctionDelta {
                        name: None,
                        arguments: fragment,
                    },
                });

            std::iter::once(opening)
                .chain(fragments)
                .map(|call| Delta {
                    tool_calls: Some([call]),
                    ..Delta::default()
                })
                .collect()
        }
    }
}
