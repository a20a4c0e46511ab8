//! Chat completions: `POST /v1/chat/completions`, its request, response and stream chunks.

mod message;
mod request;
mod response;
mod tools;

#[cfg(test)]
mod tests;

pub use message::{
    AssistantMessage, ChatMessage, ContentPart, FileData, FilePart, ImagePart, ImageUrl,
    InputAudio, InputAudioPart, MessageContent, RefusalPart, TextMessage, TextPart, ToolMessage,
    UserMessage,
};
pub use request::{ChatCompletionRequest, JsonSchemaFormat, ResponseFormat, Stop, StreamOptions};
pub use response::{
    ChatChoice, ChatCompletion, ChatCompletionChunk, ChunkChoice, Delta, FinishReason,
    ResponseMessage,
};
pub use tools::{
    AllowedTools, FunctionCall, FunctionCallDelta, FunctionDefinition, FunctionName, Tool,
    ToolCall, ToolCallDelta, ToolChoice, ToolChoiceMode, ToolChoiceObject,
};
