//! OpenAI requests beside the exact Converse bodies they become.

use hub_core::chat::ChatCompletionRequest;
use serde_json::{Value, json};

use super::converse;

fn translate(request: Value) -> Result<Value, hub_core::Error> {
    let request: ChatCompletionRequest = serde_json::from_value(request).unwrap();
    converse(&request).map(|body| serde_json::to_value(body).unwrap())
}

fn refused_param(request: Value) -> String {
    match translate(request) {
        Err(hub_core::Error::InvalidRequest { param, .. }) => param.unwrap_or_default(),
        other => panic!("expected a 400, got {other:?}"),
    }
}

const WEATHER: &str = "get_weather";

fn weather_tool() -> Value {
    json!({"type": "function", "function": {
        "name": WEATHER, "description": "Weather by city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}})
}

#[test]
fn instructions_sampling_and_tools() {
    let openai = json!({
        "model": "m",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "developer", "content": [{"type": "text", "text": "be kind"}]},
            {"role": "user", "content": "hi"}
        ],
        "max_completion_tokens": 16, "temperature": 0.5, "top_p": 0.9, "stop": "END",
        "tools": [{"type": "function", "function": {"name": "f", "description": "d",
            "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}}}],
        "tool_choice": "auto", "user": "u-1", "store": false
    });
    let bedrock = json!({
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "system": [{"text": "be brief"}, {"text": "be kind"}],
        "inferenceConfig": {"maxTokens": 16, "temperature": 0.5, "topP": 0.9,
                            "stopSequences": ["END"]},
        "toolConfig": {"tools": [{"toolSpec": {"name": "f", "description": "d",
            "inputSchema": {"json": {"type": "object",
                                     "properties": {"a": {"type": "integer"}}}}}}]}
    });
    assert_eq!(translate(openai).unwrap(), bedrock);
}

#[test]
fn a_tool_round_trip_alternates_roles() {
    let openai = json!({
        "model": "m",
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "tooluse_1",
                "type": "function",
                "function": {"name": WEATHER, "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "tooluse_1", "content": "rainy, 14C"},
            {"role": "user", "content": "thanks"}
        ],
        "tools": [weather_tool()], "max_tokens": 100
    });
    let bedrock = json!({
        "messages": [
            {"role": "user", "content": [{"text": "Weather in Paris?"}]},
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tooluse_1",
                "name": WEATHER, "input": {"city": "Paris"}}}]},
            {"role": "user", "content": [
                {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "rainy, 14C"}]}},
                {"text": "thanks"}
            ]}
        ],
        "inferenceConfig": {"maxTokens": 100},
        "toolConfig": {"tools": [{"toolSpec": {"name": WEATHER, "description": "Weather by city",
            "inputSchema": {"json": weather_tool()["function"]["parameters"]}}}]}
    });
    assert_eq!(translate(openai).unwrap(), bedrock);
}

#[test]
fn data_url_images_become_image_blocks() {
    let openai = json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url",
         "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}}
    ]}]});
    let bedrock = json!({"messages": [{"role": "user", "content": [
        {"text": "What is this?"},
        {"image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}}}
    ]}]});
    assert_eq!(translate(openai).unwrap(), bedrock);
}

#[test]
fn images_by_url_or_of_other_types_are_refused() {
    for url in [
        "https://example.com/cat.png",
        "data:image/tiff;base64,AAAA",
        "data:image/png,raw",
    ] {
        let openai = json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": url}}]}]});
        assert_eq!(
            refused_param(openai),
            "messages[0].content[0].image_url.url",
            "{url}"
        );
    }
}

#[test]
fn tool_choice_maps_to_any_tool_or_nothing() {
    let base = |choice: Value| {
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
               "tools": [weather_tool()], "tool_choice": choice})
    };
    let choice = |request: Value| translate(request).unwrap()["toolConfig"]["toolChoice"].clone();

    assert_eq!(choice(base(json!("required"))), json!({"any": {}}));
    assert_eq!(
        choice(base(
            json!({"type": "function", "function": {"name": WEATHER}})
        )),
        json!({"tool": {"name": WEATHER}})
    );
    assert_eq!(
        choice(base(
            json!({"type": "allowed_tools", "allowed_tools": {"mode": "required",
            "tools": [{"type": "function", "function": {"name": WEATHER}}]}})
        )),
        json!({"any": {}})
    );
    assert_eq!(
        translate(base(json!("none"))).unwrap().get("toolConfig"),
        None
    );
}

#[test]
fn allowed_tools_keeps_only_the_allowed_ones() {
    let openai = json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "tools": [weather_tool(), {"type": "function", "function": {"name": "other"}}],
        "tool_choice": {"type": "allowed_tools", "allowed_tools": {"mode": "auto",
            "tools": [{"type": "function", "function": {"name": "other"}}]}}});
    assert_eq!(
        translate(openai).unwrap()["toolConfig"],
        json!({"tools": [{"toolSpec": {"name": "other",
            "inputSchema": {"json": {"type": "object", "properties": {}}}}}]})
    );
}

#[test]
fn tool_choice_none_cannot_be_honoured_once_tools_were_called() {
    let openai = json!({"model": "m", "tools": [weather_tool()], "tool_choice": "none",
    "messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "t1", "type": "function",
            "function": {"name": WEATHER, "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "t1", "content": "sunny"}
    ]});
    assert_eq!(refused_param(openai), "tool_choice");
}

#[test]
fn parameters_converse_cannot_honour_are_refused_by_name() {
    let cases = [
        (json!({"n": 2}), "n"),
        (json!({"logprobs": true}), "logprobs"),
        (json!({"logprobs": true, "top_logprobs": 2}), "top_logprobs"),
        (json!({"seed": 42}), "seed"),
        (json!({"frequency_penalty": 0.5}), "frequency_penalty"),
        (json!({"presence_penalty": -1}), "presence_penalty"),
        (json!({"logit_bias": {"50256": -100}}), "logit_bias"),
        (json!({"parallel_tool_calls": false}), "parallel_tool_calls"),
        (json!({"temperature": 1.5}), "temperature"),
        (json!({"top_p": 1.2}), "top_p"),
        (json!({"reasoning_effort": "low"}), "reasoning_effort"),
        (
            json!({"tools": [{"type": "custom", "custom": {"name": "c"}}]}),
            "tools[0]",
        ),
    ];
    for (extra, param) in cases {
        let mut openai = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
        openai
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        assert_eq!(refused_param(openai), param);
    }
}

#[test]
fn harmless_defaults_pass() {
    let openai = json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "n": 1, "logprobs": false, "frequency_penalty": 0, "presence_penalty": 0,
        "parallel_tool_calls": true, "temperature": 1, "metadata": {"k": "v"},
        "stream": true, "stream_options": {"include_usage": true}});
    assert_eq!(
        translate(openai).unwrap(),
        json!({"messages": [{"role": "user", "content": [{"text": "x"}]}],
               "inferenceConfig": {"temperature": 1.0}})
    );
}

#[test]
fn audio_and_files_are_refused() {
    let openai = json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "listen"},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}]});
    assert_eq!(refused_param(openai), "messages[0].content[1]");
}

#[test]
fn arguments_that_are_not_json_are_refused() {
    let openai = json!({"model": "m", "messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "tool_calls": [{"id": "t", "type": "function",
            "function": {"name": "f", "arguments": "{city: Paris"}}]}]});
    assert_eq!(
        refused_param(openai),
        "messages[1].tool_calls[0].function.arguments"
    );
}

#[test]
fn an_empty_message_is_refused() {
    let openai = json!({"model": "m", "messages": [{"role": "user", "content": "  "}]});
    assert_eq!(refused_param(openai), "messages[0].content");
}

#[test]
fn a_json_schema_becomes_structured_output() {
    let schema = json!({"type": "object", "properties": {"text": {"type": "string"}},
                        "required": ["text"]});
    let openai = json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_schema",
            "json_schema": {"name": "answer", "strict": true, "schema": schema}}});
    assert_eq!(
        translate(openai).unwrap()["outputConfig"],
        json!({"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {
            "schema": schema.to_string(), "name": "answer"}}}})
    );
}
