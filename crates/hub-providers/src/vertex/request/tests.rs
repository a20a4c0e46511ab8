//! Translation tests: OpenAI's chat request beside the exact `GenerateContentRequest` Vertex
//! receives, and the requests Hub refuses to send.

use serde_json::{Value, json};

use super::*;

fn translate(openai: Value) -> Result<Value, Error> {
    let request: ChatCompletionRequest = serde_json::from_value(openai).unwrap();
    chat_request(&request).map(|body| serde_json::to_value(body).unwrap())
}

fn refused_param(openai: Value) -> String {
    match translate(openai) {
        Err(Error::InvalidRequest { param, .. }) => param.unwrap_or_default(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_full_conversation_with_tools_and_structured_output() {
    let openai = json!({
        "model": "gemini",
        "messages": [
            {"role": "developer", "content": "You are terse."},
            {"role": "user", "content": [
                {"type": "text", "text": "Weather in Paris?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=",
                                                    "detail": "low"}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_0_get_weather", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_0_get_weather", "content": "rainy, 14C"}
        ],
        "tools": [{"type": "function", "function": {
            "name": "get_weather", "description": "Weather by city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                           "required": ["city"]}}}],
        "tool_choice": "auto",
        "response_format": {"type": "json_schema", "json_schema": {"name": "answer",
            "strict": true, "schema": {"type": "object",
                "properties": {"text": {"type": "string"}}, "required": ["text"],
                "additionalProperties": false}}},
        "max_completion_tokens": 256,
        "temperature": 0.2,
        "top_p": 0.95,
        "n": 1,
        "stop": ["END"],
        "seed": 42,
        "user": "user-1234",
        "stream": true,
        "stream_options": {"include_usage": true}
    });

    let vertex = translate(openai).unwrap();

    assert_eq!(
        vertex,
        json!({
            "contents": [
                {"role": "user", "parts": [
                    {"text": "Weather in Paris?"},
                    {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
                ]},
                {"role": "model", "parts": [
                    {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}
                ]},
                {"role": "user", "parts": [
                    {"functionResponse": {"name": "get_weather",
                                          "response": {"result": "rainy, 14C"}}}
                ]}
            ],
            "systemInstruction": {"parts": [{"text": "You are terse."}]},
            "tools": [{"functionDeclarations": [{"name": "get_weather",
                "description": "Weather by city",
                "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}},
                               "required": ["city"]}}]}],
            "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
            "generationConfig": {
                "maxOutputTokens": 256, "temperature": 0.2, "topP": 0.95, "candidateCount": 1,
                "stopSequences": ["END"], "seed": 42, "responseMimeType": "application/json",
                "responseSchema": {"type": "OBJECT", "properties": {"text": {"type": "STRING"}},
                                   "required": ["text"]}
            }
        })
    );
}

#[test]
fn parallel_results_and_a_follow_up_share_one_user_turn() {
    let openai = json!({"model": "m", "messages": [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": "Checking.", "tool_calls": [
            {"id": "a", "type": "function",
             "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "b", "type": "function", "function": {"name": "time", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "b", "content": "{\"hour\": 9}"},
        {"role": "tool", "tool_call_id": "a", "content": [{"type": "text", "text": "sunny"}]},
        {"role": "user", "content": "thanks"}
    ]});

    let vertex = translate(openai).unwrap();

    assert_eq!(
        vertex["contents"],
        json!([
            {"role": "user", "parts": [{"text": "Weather in Paris and Rome?"}]},
            {"role": "model", "parts": [
                {"text": "Checking."},
                {"functionCall": {"name": "weather", "args": {"city": "Paris"}}},
                {"functionCall": {"name": "time", "args": {}}}]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "time", "response": {"hour": 9}}},
                {"functionResponse": {"name": "weather", "response": {"result": "sunny"}}},
                {"text": "thanks"}]}
        ])
    );
}

#[test]
fn media_parts_become_inline_or_file_data() {
    let openai = json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.JPG?size=2"}},
        {"type": "image_url", "image_url": {"url": "gs://bucket/report.pdf"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        {"type": "file",
         "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}}
    ]}]});

    let vertex = translate(openai).unwrap();

    assert_eq!(
        vertex["contents"][0]["parts"],
        json!([
            {"fileData": {"mimeType": "image/jpeg",
                          "fileUri": "https://example.com/cat.JPG?size=2"}},
            {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://bucket/report.pdf"}},
            {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}},
            {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0="}}
        ])
    );
}

#[test]
fn tool_choices_map_to_calling_modes() {
    let tools = json!([
        {"type": "function", "function": {"name": "a"}},
        {"type": "function", "function": {"name": "b"}}
    ]);
    let cases = [
        (json!("none"), json!({"mode": "NONE"}), 2),
        (json!("required"), json!({"mode": "ANY"}), 2),
        (
            json!({"type": "function", "function": {"name": "b"}}),
            json!({"mode": "ANY", "allowedFunctionNames": ["b"]}),
            2,
        ),
        (
            json!({"type": "allowed_tools", "allowed_tools": {"mode": "required",
                   "tools": [{"type": "function", "function": {"name": "a"}}]}}),
            json!({"mode": "ANY", "allowedFunctionNames": ["a"]}),
            2,
        ),
        (
            json!({"type": "allowed_tools", "allowed_tools": {"mode": "auto",
                   "tools": [{"type": "function", "function": {"name": "a"}}]}}),
            json!({"mode": "AUTO"}),
            1,
        ),
    ];

    for (choice, config, declared) in cases {
        let openai = json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
                            "tools": tools, "tool_choice": choice});
        let vertex = translate(openai).unwrap();
        assert_eq!(
            vertex["toolConfig"]["functionCallingConfig"], config,
            "{choice}"
        );
        let functions = vertex["tools"][0]["functionDeclarations"]
            .as_array()
            .unwrap();
        assert_eq!(functions.len(), declared, "{choice}");
    }
}

#[test]
fn a_plain_request_sends_no_config() {
    let openai = json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}]});

    assert_eq!(
        translate(openai).unwrap(),
        json!({"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]})
    );
}

#[test]
fn n_becomes_candidate_count_and_json_object_a_mime_type() {
    let openai = json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}],
                        "n": 3, "max_tokens": 5, "presence_penalty": 0.5,
                        "frequency_penalty": -0.5, "response_format": {"type": "json_object"}});

    assert_eq!(
        translate(openai).unwrap()["generationConfig"],
        json!({"candidateCount": 3, "maxOutputTokens": 5, "presencePenalty": 0.5,
               "frequencyPenalty": -0.5, "responseMimeType": "application/json"})
    );
}

#[test]
fn what_vertex_cannot_honour_is_refused_by_name() {
    let ask = |extra: Value| {
        let mut request = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
        request
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        request
    };
    let cases = [
        (ask(json!({"logprobs": true})), "logprobs"),
        (
            ask(json!({"top_logprobs": 2, "logprobs": false})),
            "top_logprobs",
        ),
        (ask(json!({"logit_bias": {"50256": -100}})), "logit_bias"),
        (
            ask(json!({"parallel_tool_calls": false})),
            "parallel_tool_calls",
        ),
        (ask(json!({"reasoning_effort": "low"})), "reasoning_effort"),
        (ask(json!({"seed": 4_294_967_296_i64})), "seed"),
        (ask(json!({"tool_choice": "required"})), "tool_choice"),
        (
            ask(json!({"tools": [{"type": "custom", "custom": {"name": "c"}}]})),
            "tools[0]",
        ),
        (
            json!({"model": "m", "messages": [{"role": "system", "content": "only rules"}]}),
            "messages",
        ),
        (
            json!({"model": "m",
                   "messages": [{"role": "tool", "tool_call_id": "nope", "content": "x"}]}),
            "messages[0].tool_call_id",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "https://example.com/image"}}]}]}),
            "messages[0].content[0]",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "file", "file": {"file_id": "file-abc"}}]}]}),
            "messages[0].content[0]",
        ),
        (
            json!({"model": "m", "messages": [{"role": "assistant", "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "f", "arguments": "[1]"}}]}]}),
            "messages[0].tool_calls[0].function.arguments",
        ),
    ];

    for (request, param) in cases {
        assert_eq!(refused_param(request.clone()), param, "{request}");
    }
}

#[test]
fn fields_that_change_nothing_are_let_through() {
    let openai = json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
                        "store": false, "metadata": {"team": "a"}, "user": "u-1",
                        "parallel_tool_calls": true, "logprobs": false});

    assert!(translate(openai).is_ok());
}
