//! Azure's stream chunks, reduced to those a client can use.
//!
//! With content filtering on, Azure opens a stream with a chunk whose `choices` is empty and
//! which carries only `prompt_filter_results`, and may send choices without a `delta` that
//! carry only filter annotations. The pipeline reads a chunk without choices as the final
//! usage chunk, so such chunks are dropped here; the filter results on chunks that do carry
//! content stay, as fields OpenAI clients ignore.

use std::future::{Ready, ready};

use hub_core::Error;
use hub_core::chat::{ChatCompletionChunk, ChunkChoice, Delta};
use hub_core::completion::Completion;

/// The chunk without its annotation-only choices, or nothing when no content, finish reason
/// or usage is left.
pub(super) fn chat_chunk_for_client(
    item: Result<ChatCompletionChunk, Error>,
) -> Ready<Option<Result<ChatCompletionChunk, Error>>> {
    let kept = match item {
        Ok(mut chunk) => {
            chunk.choices.retain(|choice| !is_annotation_only(choice));
            let useful = !chunk.choices.is_empty() || chunk.usage.is_some();
            useful.then_some(Ok(chunk))
        }
        Err(error) => Some(Err(error)),
    };
    ready(kept)
}

/// The legacy completion chunk, or nothing when it is Azure's prompt-filter chunk.
pub(super) fn completion_chunk_for_client(
    item: Result<Completion, Error>,
) -> Ready<Option<Result<Completion, Error>>> {
    let kept = match item {
        Ok(chunk) => {
            let useful = !chunk.choices.is_empty() || chunk.usage.is_some();
            useful.then_some(Ok(chunk))
        }
        Err(error) => Some(Err(error)),
    };
    ready(kept)
}

/// A choice that adds nothing to the message: no delta (Azure leaves it out, which reads as
/// an empty one), no finish reason and no log probabilities.
fn is_annotation_only(choice: &ChunkChoice) -> bool {
    choice.delta == Delta::default() && choice.finish_reason.is_none() && choice.logprobs.is_none()
}
