//! Building a chat request with the typed API, as a service does before it sends one.

use hub_core::Extra;
use hub_core::chat::{
    ChatCompletionRequest, ChatMessage, FunctionDefinition, MessageContent, StreamOptions,
    TextMessage, Tool, ToolChoice, ToolChoiceMode, UserMessage,
};
use serde_json::json;

/// A request asking `model` one question, with a tool the model may call.
///
/// Every field is written out: `ChatCompletionRequest` has no `Default`, so a field added to
/// it in a later `hub-core` shows up here as a compile error, not as a silent change.
pub fn ask(model: &str, question: &str) -> ChatCompletionRequest {
    ChatCompletionRequest {
        model: model.to_owned(),
        messages: vec![
            ChatMessage::System(TextMessage {
                content: MessageContent::Text("Answer in one sentence.".to_owned()),
                name: None,
                extra: Extra::new(),
            }),
            ChatMessage::User(UserMessage {
                content: MessageContent::Text(question.to_owned()),
                name: None,
                extra: Extra::new(),
            }),
        ],
        temperature: Some(0.2),
        top_p: None,
        n: None,
        stop: None,
        max_tokens: None,
        max_completion_tokens: Some(256),
        stream: None,
        stream_options: None,
        seed: None,
        logprobs: None,
        top_logprobs: None,
        user: None,
        frequency_penalty: None,
        presence_penalty: None,
        logit_bias: None,
        tools: Some(vec![weather_tool()]),
        tool_choice: Some(ToolChoice::Mode(ToolChoiceMode::Auto)),
        parallel_tool_calls: None,
        response_format: None,
        extra: Extra::new(),
    }
}

/// A function tool: its name, what it does, and its parameters as JSON Schema.
fn weather_tool() -> Tool {
    Tool::Function {
        function: FunctionDefinition {
            name: "get_weather".to_owned(),
            description: Some("The current weather in a city.".to_owned()),
            parameters: Some(json!({
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            })),
            strict: None,
            extra: Extra::new(),
        },
    }
}

/// The request as JSON, ready for `POST /v1/chat/completions`. Fields `hub-core` does not
/// model, kept in the `extra` maps, are written back as they came.
pub fn to_body(request: &ChatCompletionRequest) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(request)
}

/// The same request, answered as a stream of chunks that ends with a usage chunk.
pub fn streamed(mut request: ChatCompletionRequest) -> ChatCompletionRequest {
    request.stream = Some(true);
    request.stream_options = Some(StreamOptions {
        include_usage: Some(true),
        extra: Extra::new(),
    });
    request
}
