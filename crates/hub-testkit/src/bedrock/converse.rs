//! `POST /model/{modelId}/converse` and `/converse-stream`: the answer as one JSON body, or
//! as eventstream frames in the order Bedrock sends them.
//!
//! A streamed text answer has no `contentBlockStart` (Bedrock sends one only for tool use),
//! and usage comes last, in `metadata`, after `messageStop`.

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Map, Value, json};

use super::conversation::Conversation;
use super::error::AwsError;
use super::frames;
use super::reply::{self, Answer};
use crate::body::{self, MockBody};
use crate::server::Exchange;
use crate::tokens;

/// Tool input streams in pieces of this many characters, so clients must join them.
const INPUT_FRAGMENT_CHARS: usize = 8;

/// What the emulator reports as the model's latency.
const LATENCY_MS: u64 = 42;

pub(super) fn respond(
    body: &Map<String, Value>,
    exchange: &Exchange,
    stream: bool,
) -> Result<Response<MockBody>, AwsError> {
    let conversation = Conversation::parse(body)?;
    let answer = reply::answer(&conversation, exchange.serial);
    let input = reply::input_tokens(&conversation);
    let usage = json!({
        "inputTokens": input,
        "outputTokens": answer.output_tokens(),
        "totalTokens": input + answer.output_tokens(),
    });

    if stream {
        let frames = stream_frames(&answer, usage);
        return Ok(frames::response(frames, &exchange.stream));
    }
    let body = json!({
        "output": {"message": {"role": "assistant", "content": [content_block(&answer)]}},
        "stopReason": answer.stop_reason(),
        "usage": usage,
        "metrics": {"latencyMs": LATENCY_MS},
    });
    Ok(body::full(
        StatusCode::OK,
        "application/json",
        Bytes::from(body.to_string()),
    ))
}

fn content_block(answer: &Answer) -> Value {
    match answer {
        Answer::Text { text, .. } => json!({ "text": text }),
        Answer::ToolUse { id, name, input } => {
            json!({"toolUse": {"toolUseId": id, "name": name, "input": input}})
        }
    }
}

/// `messageStart`, the answer's block, `messageStop`, then `metadata`.
fn stream_frames(answer: &Answer, usage: Value) -> Vec<Bytes> {
    let mut frames = vec![frames::event("messageStart", json!({"role": "assistant"}))];
    let delta = |delta: Value| {
        frames::event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": delta}),
        )
    };

    match answer {
        Answer::Text { text, .. } => {
            frames.extend(
                tokens::pieces(text)
                    .into_iter()
                    .map(|piece| delta(json!({ "text": piece }))),
            );
        }
        Answer::ToolUse { id, name, input } => {
            let start = json!({"contentBlockIndex": 0,
                               "start": {"toolUse": {"toolUseId": id, "name": name}}});
            frames.push(frames::event("contentBlockStart", start));
            let input = input.to_string();
            frames.extend(
                tokens::fragments(&input, INPUT_FRAGMENT_CHARS)
                    .into_iter()
                    .map(|fragment| delta(json!({"toolUse": {"input": fragment}}))),
            );
        }
    }

    frames.push(frames::event(
        "contentBlockStop",
        json!({"contentBlockIndex": 0}),
    ));
    frames.push(frames::event(
        "messageStop",
        json!({"stopReason": answer.stop_reason()}),
    ));
    frames.push(frames::event(
        "metadata",
        json!({"usage": usage, "metrics": {"latencyMs": LATENCY_MS}}),
    ));
    frames
}
