//! Reading a whole chat answer into what a service acts on.

use hub_core::Usage;
use hub_core::chat::{ChatCompletion, FinishReason, ToolCall};

/// What a service acts on in a chat answer: the text, the tools the model called, why it
/// stopped, and the tokens it spent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub finish_reason: Option<FinishReason>,
    pub usage: Option<Usage>,
}

/// Reads the body of a chat completion. Only the first choice is kept: a request that does
/// not set `n` gets exactly one.
pub fn read(body: &[u8]) -> Result<Answer, serde_json::Error> {
    let completion: ChatCompletion = serde_json::from_slice(body)?;
    Ok(from_completion(completion))
}

/// The answer a decoded chat completion holds.
pub fn from_completion(completion: ChatCompletion) -> Answer {
    let usage = completion.usage;
    let Some(choice) = completion.choices.into_iter().next() else {
        return Answer {
            usage,
            ..Answer::default()
        };
    };

    Answer {
        text: choice.message.content.unwrap_or_default(),
        tool_calls: choice.message.tool_calls.unwrap_or_default(),
        finish_reason: choice.finish_reason,
        usage,
    }
}
