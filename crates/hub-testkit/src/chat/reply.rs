//! The deterministic "model": what the mock answers to a valid chat request.
//!
//! The reply echoes the last user message (`Echo: <text>`), so a test can tell that the right
//! message reached the upstream. A tool call is answered instead when `tool_choice` is
//! `required` or names a function, or when it is `auto`, the conversation ends with a user
//! message, and that message mentions "weather". Structured output answers with JSON built from
//! the schema, so the content parses as the caller asked.

use serde_json::{Map, Value, json};

use super::messages;
use super::request::{ChatRequest, FunctionTool, ResponseFormat, ToolChoice};
use crate::tokens::{self, Generated};

/// What every choice of the reply says; choices differ only in their index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Answer {
    Text(Generated),
    ToolCall { name: String, arguments: String },
}

impl Answer {
    pub(super) fn finish_reason(&self) -> &'static str {
        match self {
            Self::Text(generated) => generated.finish_reason,
            Self::ToolCall { .. } => "tool_calls",
        }
    }

    /// Tokens one choice produced.
    pub(super) fn tokens(&self) -> usize {
        match self {
            Self::Text(generated) => tokens::count(&generated.text),
            // A call costs at least one token even when its arguments are a bare `{}`.
            Self::ToolCall { arguments, .. } => tokens::count(arguments).max(1),
        }
    }
}

pub(super) fn answer(request: &ChatRequest<'_>) -> Answer {
    if let Some(tool) = chosen_tool(request) {
        let arguments = Value::Object(example_object(tool.parameters)).to_string();
        return Answer::ToolCall {
            name: tool.name.to_owned(),
            arguments,
        };
    }

    let full = content(request);
    Answer::Text(tokens::generate(&full, &request.stop, request.max_tokens))
}

/// Tokens of the prompt: the words of every message's text.
pub(super) fn prompt_tokens(request: &ChatRequest<'_>) -> usize {
    request
        .messages
        .iter()
        .map(|message| tokens::count(&messages::text(message)))
        .sum()
}

fn last_user_text(request: &ChatRequest<'_>) -> String {
    let last_user = request
        .messages
        .iter()
        .rev()
        .find(|message| messages::role(message) == "user");
    last_user.map(messages::text).unwrap_or_default()
}

fn chosen_tool<'r>(request: &'r ChatRequest<'_>) -> Option<&'r FunctionTool<'r>> {
    match request.tool_choice {
        ToolChoice::None => None,
        ToolChoice::Required => request.tools.first(),
        ToolChoice::Function(name) => request.tools.iter().find(|tool| tool.name == name),
        ToolChoice::Auto => {
            // After a tool result the model answers in text, or an agent loop would never end.
            let user_spoke_last = request
                .messages
                .last()
                .is_some_and(|message| messages::role(message) == "user");
            let asks_weather = mentions_weather(&last_user_text(request));
            (user_spoke_last && asks_weather)
                .then(|| request.tools.first())
                .flatten()
        }
    }
}

/// Whether `text` has the word "weather", which makes the model call a tool when it may.
pub(crate) fn mentions_weather(text: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .any(|word| word.eq_ignore_ascii_case("weather"))
}

fn content(request: &ChatRequest<'_>) -> String {
    let echo = format!("Echo: {}", last_user_text(request));
    match request.response_format {
        ResponseFormat::Text => echo,
        ResponseFormat::JsonObject => json!({ "echo": echo }).to_string(),
        ResponseFormat::JsonSchema(schema) => Value::Object(example_object(schema)).to_string(),
    }
}

/// An object holding an example value for every required property of a JSON schema, or of a
/// Vertex AI schema, whose type names are upper case.
pub(crate) fn example_object(schema: Option<&Value>) -> Map<String, Value> {
    let Some(schema) = schema else {
        return Map::new();
    };
    let properties = schema.get("properties");
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);

    required
        .iter()
        .filter_map(Value::as_str)
        .map(|name| {
            let property = properties.and_then(|properties| properties.get(name));
            (name.to_owned(), example_value(property))
        })
        .collect()
}

/// A value that fits `schema`: its first `enum` entry, or a fixed value of its `type`.
fn example_value(schema: Option<&Value>) -> Value {
    let Some(schema) = schema else {
        return Value::Null;
    };
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|values| values.first())
    {
        return first.clone();
    }

    let kind = schema
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    match kind.as_deref() {
        Some("string") => json!("example"),
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        Some("object") => Value::Object(example_object(Some(schema))),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_cover_the_required_properties() {
        let schema = json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
                "where": {
                    "type": "object",
                    "properties": {"lat": {"type": "number"}},
                    "required": ["lat"]
                },
                "optional": {"type": "boolean"}
            },
            "required": ["city", "unit", "days", "where"]
        });

        let arguments = Value::Object(example_object(Some(&schema)));

        let expected =
            json!({"city": "example", "unit": "celsius", "days": 1, "where": {"lat": 1.5}});
        assert_eq!(arguments, expected);
    }

    #[test]
    fn weather_must_be_a_word() {
        assert!(mentions_weather("What's the Weather in Paris?"));
        assert!(!mentions_weather("weatherproof jackets"));
    }
}
