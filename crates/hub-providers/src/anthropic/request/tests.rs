//! Requests written from OpenAI's API reference, each beside the exact body Anthropic's API
//! reference says it must become (PROTOCOLS.md 1.1, 2.2 and 2.6).

use hub_core::chat::ChatCompletionRequest;
use serde_json::{Value, json};

use super::{Settings, translate};

const SETTINGS: Settings = Settings {
    default_max_tokens: 4096,
};

fn translated(request: Value) -> Value {
    let request: ChatCompletionRequest = serde_json::from_value(request).unwrap();
    let body = translate(request, "claude-sonnet-4-5", SETTINGS).unwrap();
    serde_json::to_value(body).unwrap()
}

/// The `param` and message of the 400 the request is refused with.
fn refused(request: Value) -> (String, String) {
    let request: ChatCompletionRequest = serde_json::from_value(request).unwrap();
    match translate(request, "claude-sonnet-4-5", SETTINGS) {
        Err(hub_core::Error::InvalidRequest { message, param }) => {
            (param.unwrap_or_default(), message)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A one-message request with the fields of `extra` added.
fn with(extra: Value) -> Value {
    let mut request = json!({"model": "claude", "messages": [{"role": "user", "content": "Hi"}]});
    for (name, value) in extra.as_object().unwrap() {
        request[name] = value.clone();
    }
    request
}

fn user_hi() -> Value {
    json!([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])
}

#[test]
fn the_reference_request_becomes_the_reference_body() {
    let openai = json!({
        "model": "claude",
        "messages": [
            {"role": "developer", "content": "You are terse."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_abc", "content": "rainy, 14C"}
        ],
        "tools": [{"type": "function", "function": {
            "name": "get_weather", "description": "Weather by city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
        "tool_choice": "auto",
        "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
            "schema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"], "additionalProperties": false}}},
        "max_completion_tokens": 256,
        "temperature": 0.2,
        "top_p": 1,
        "n": 1,
        "stop": ["\n\n"],
        "logprobs": false,
        "user": "user-1234",
        "stream": true,
        "stream_options": {"include_usage": true}
    });

    let anthropic = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 256,
        "system": "You are terse.",
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "call_abc", "name": "get_weather", "input": {"city": "Paris"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_abc", "content": "rainy, 14C"}]}
        ],
        "tools": [{"name": "get_weather", "description": "Weather by city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}],
        "tool_choice": {"type": "auto"},
        "temperature": 0.2,
        "top_p": 1.0,
        "stop_sequences": ["\n\n"],
        "metadata": {"user_id": "user-1234"},
        "stream": true,
        "output_config": {"format": {"type": "json_schema", "schema":
            {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"], "additionalProperties": false}}}
    });
    assert_eq!(translated(openai), anthropic);
}

#[test]
fn without_a_limit_the_configured_default_is_sent() {
    let body = translated(with(json!({})));

    assert_eq!(
        body,
        json!({"model": "claude-sonnet-4-5", "max_tokens": 4096, "messages": user_hi()})
    );
}

#[test]
fn max_completion_tokens_wins_over_the_deprecated_max_tokens() {
    assert_eq!(
        translated(with(json!({"max_tokens": 10})))["max_tokens"],
        10
    );
    let both = with(json!({"max_tokens": 10, "max_completion_tokens": 20}));
    assert_eq!(translated(both)["max_tokens"], 20);
}

#[test]
fn system_and_developer_messages_go_to_the_top_level_in_order() {
    let body = translated(json!({"model": "m", "messages": [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hi"},
        {"role": "developer", "content": [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Use French."}]}
    ]}));

    assert_eq!(
        body["system"],
        json!([
            {"type": "text", "text": "Be kind."},
            {"type": "text", "text": "Be brief."},
            {"type": "text", "text": "Use French."}
        ])
    );
    assert_eq!(body["messages"], user_hi());
}

#[test]
fn consecutive_messages_of_one_role_become_one_turn() {
    let body = translated(json!({"model": "m", "messages": [
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "three"},
        {"role": "assistant", "content": [{"type": "text", "text": "four"}, {"type": "refusal", "refusal": "no"}]},
        {"role": "user", "content": "five"}
    ]}));

    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "three"}, {"type": "text", "text": "four"},
                {"type": "text", "text": "no"}]},
            {"role": "user", "content": [{"type": "text", "text": "five"}]}
        ])
    );
}

#[test]
fn parallel_tool_results_share_the_user_turn_that_follows_the_calls() {
    let body = translated(json!({"model": "m", "messages": [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": "Checking both.", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": "rainy"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "sunny"}]},
        {"role": "user", "content": "thanks"}
    ]}));

    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "Weather in Paris and Rome?"}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Checking both."},
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "rainy"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "sunny"},
                {"type": "text", "text": "thanks"}]}
        ])
    );
}

#[test]
fn tool_results_lead_a_merged_user_turn_and_empty_ones_carry_no_content() {
    let body = translated(json!({"model": "m", "messages": [
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "user", "content": "also this"},
        {"role": "tool", "tool_call_id": "call_1", "content": ""}
    ]}));

    assert_eq!(
        body["messages"],
        json!([
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "call_1", "name": "f", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_1"},
                {"type": "text", "text": "also this"}]}
        ])
    );
}

#[test]
fn an_assistant_turn_that_said_nothing_is_left_out() {
    let body = translated(json!({"model": "m", "messages": [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "b"}
    ]}));

    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": [
            {"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}])
    );
}

#[test]
fn images_by_url_and_by_data_url_become_image_blocks() {
    let body = translated(
        json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "high"}},
            {"type": "image_url", "image_url": {"url": "data:image/WEBP;base64,UklGRg=="}}
        ]}]}),
    );

    assert_eq!(
        body["messages"][0]["content"],
        json!([
            {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
            {"type": "image", "source": {"type": "base64", "media_type": "image/webp", "data": "UklGRg=="}}
        ])
    );
}

#[test]
fn images_anthropic_cannot_read_are_refused_by_path() {
    let image = |url: &str| {
        json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": url}}]}]})
    };

    let (param, message) = refused(image("data:image/bmp;base64,Qk0="));
    assert_eq!(param, "messages[0].content[1].image_url.url");
    assert!(message.contains("image/bmp"), "{message}");

    let (param, _) = refused(image("data:image/png,rawbytes"));
    assert_eq!(param, "messages[0].content[1].image_url.url");
    let (param, _) = refused(image("ftp://example.com/cat.png"));
    assert_eq!(param, "messages[0].content[1].image_url.url");
}

#[test]
fn each_tool_choice_maps_to_anthropics() {
    let tools = json!([{"type": "function", "function": {"name": "get_weather"}}]);
    let choice = |choice: Value| {
        let body = translated(with(json!({"tools": tools, "tool_choice": choice})));
        body["tool_choice"].clone()
    };

    assert_eq!(choice(json!("auto")), json!({"type": "auto"}));
    assert_eq!(choice(json!("none")), json!({"type": "none"}));
    assert_eq!(choice(json!("required")), json!({"type": "any"}));
    assert_eq!(
        choice(json!({"type": "function", "function": {"name": "get_weather"}})),
        json!({"type": "tool", "name": "get_weather"})
    );
}

#[test]
fn a_function_without_parameters_takes_an_empty_object_and_strict_is_kept() {
    let body = translated(with(json!({"tools": [
        {"type": "function", "function": {"name": "now", "strict": true}}]})));

    assert_eq!(
        body["tools"],
        json!([{"name": "now", "input_schema": {"type": "object", "properties": {}}, "strict": true}])
    );
    assert!(body.get("tool_choice").is_none(), "auto is the default");
}

#[test]
fn parallel_tool_calls_off_disables_parallel_tool_use() {
    let tools = json!([{"type": "function", "function": {"name": "f"}}]);

    let implicit = translated(with(json!({"tools": tools, "parallel_tool_calls": false})));
    assert_eq!(
        implicit["tool_choice"],
        json!({"type": "auto", "disable_parallel_tool_use": true})
    );

    let forced =
        with(json!({"tools": tools, "tool_choice": "required", "parallel_tool_calls": false}));
    assert_eq!(
        translated(forced)["tool_choice"],
        json!({"type": "any", "disable_parallel_tool_use": true})
    );

    let unspoken = translated(with(json!({"parallel_tool_calls": false})));
    assert!(unspoken.get("tool_choice").is_none());
}

#[test]
fn tool_forms_anthropic_lacks_are_refused() {
    let tools = json!([{"type": "function", "function": {"name": "f"}}]);
    let cases = [
        (with(json!({"tool_choice": "required"})), "tool_choice"),
        (
            with(
                json!({"tools": tools, "tool_choice": {"type": "allowed_tools",
                "allowed_tools": {"mode": "auto", "tools": []}}}),
            ),
            "tool_choice",
        ),
        (
            with(json!({"tools": [{"type": "custom", "custom": {"name": "g"}}]})),
            "tools[0]",
        ),
    ];
    for (request, param) in cases {
        assert_eq!(refused(request.clone()).0, param, "{request}");
    }
}

#[test]
fn tool_call_arguments_that_are_not_an_object_are_refused() {
    let request = json!({"model": "m", "messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": "[1, 2]"}}]}
    ]});

    let (param, _) = refused(request);
    assert_eq!(param, "messages[1].tool_calls[0].function.arguments");
}

#[test]
fn stop_user_and_safety_identifier_are_mapped() {
    let body = translated(with(json!({"stop": "END", "user": "u-1"})));
    assert_eq!(body["stop_sequences"], json!(["END"]));
    assert_eq!(body["metadata"], json!({"user_id": "u-1"}));

    let body = translated(with(json!({"user": "u-1", "safety_identifier": "s-1"})));
    assert_eq!(body["metadata"], json!({"user_id": "s-1"}));
}

#[test]
fn json_object_without_a_schema_is_refused_and_text_is_the_default() {
    let (param, message) = refused(with(json!({"response_format": {"type": "json_object"}})));
    assert_eq!(param, "response_format");
    assert!(message.contains("json_schema"), "{message}");

    let (param, _) = refused(with(json!({"response_format":
        {"type": "json_schema", "json_schema": {"name": "x"}}})));
    assert_eq!(param, "response_format.json_schema.schema");

    let text = translated(with(json!({"response_format": {"type": "text"}})));
    assert!(text.get("output_config").is_none());
}

#[test]
fn temperature_up_to_one_passes_and_above_is_refused() {
    assert_eq!(
        translated(with(json!({"temperature": 1.0})))["temperature"],
        1.0
    );

    let (param, message) = refused(with(json!({"temperature": 1.5})));
    assert_eq!(param, "temperature");
    assert!(message.contains("between 0 and 1"), "{message}");
}

#[test]
fn parameters_without_an_equivalent_are_refused_by_name() {
    let cases = [
        json!({"n": 2}),
        json!({"seed": 42}),
        json!({"logprobs": true}),
        json!({"top_logprobs": 2}),
        json!({"frequency_penalty": 0.5}),
        json!({"presence_penalty": -1}),
        json!({"logit_bias": {"50256": -100}}),
        json!({"modalities": ["text", "audio"]}),
        json!({"audio": {"voice": "alloy", "format": "mp3"}}),
        json!({"reasoning_effort": "high"}),
        json!({"functions": [{"name": "f"}]}),
        json!({"top_k": 5}),
    ];
    for extra in cases {
        let name = extra.as_object().unwrap().keys().next().unwrap().clone();
        let (param, message) = refused(with(extra.clone()));
        assert_eq!(param, name, "{extra}");
        assert!(message.contains(&format!("`{name}`")), "{message}");
    }
}

#[test]
fn defaults_and_fields_that_do_not_touch_the_answer_are_accepted() {
    let harmless = with(json!({
        "n": 1, "logprobs": false, "frequency_penalty": 0, "presence_penalty": 0.0,
        "logit_bias": {}, "store": false, "metadata": {"team": "search"},
        "service_tier": "auto", "prompt_cache_key": "k", "modalities": ["text"]
    }));

    assert_eq!(
        translated(harmless),
        json!({"model": "claude-sonnet-4-5", "max_tokens": 4096, "messages": user_hi()})
    );
}

#[test]
fn content_anthropic_cannot_take_is_refused_by_path() {
    let cases = [
        (
            json!({"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}),
            "messages[0].content[0]",
        ),
        (
            json!({"type": "file", "file": {"file_id": "file-1"}}),
            "messages[0].content[0]",
        ),
    ];
    for (part, param) in cases {
        let request = json!({"model": "m", "messages": [{"role": "user", "content": [part]}]});
        assert_eq!(refused(request).0, param);
    }

    let system_image = json!({"model": "m", "messages": [
        {"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
        {"role": "user", "content": "x"}]});
    assert_eq!(refused(system_image).0, "messages[0].content[0]");
}

#[test]
fn a_conversation_of_instructions_only_or_an_empty_user_turn_is_refused() {
    let only_system = json!({"model": "m", "messages": [{"role": "system", "content": "x"}]});
    assert_eq!(refused(only_system).0, "messages");

    let empty = json!({"model": "m", "messages": [{"role": "user", "content": ""}]});
    assert_eq!(refused(empty).0, "messages[0].content");
}
