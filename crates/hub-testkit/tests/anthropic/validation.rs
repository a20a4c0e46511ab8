//! What the emulator refuses, with the status and error type the real API uses.

use http::Method;
use serde_json::{Value, json};

use crate::client::{self, KEY, VERSION, message, post, send};

type Headers<'a> = &'a [(&'a str, &'a str)];

/// The status, error type and message of the refusal of `body`.
async fn refusal(body: &Value) -> (u16, String, String) {
    let mock = client::mock().await;
    let reply = post(&mock, body).await;
    let error = reply.error();
    (
        reply.status,
        error["type"].as_str().expect("a type").to_owned(),
        error["message"].as_str().expect("a message").to_owned(),
    )
}

fn without(mut body: Value, field: &str) -> Value {
    body.as_object_mut().expect("an object").remove(field);
    body
}

#[tokio::test]
async fn max_tokens_is_required() {
    let body = without(message("claude-sonnet-4-5", "hi"), "max_tokens");

    assert_eq!(
        refusal(&body).await,
        (
            400,
            "invalid_request_error".to_owned(),
            "max_tokens: Field required".to_owned()
        )
    );
}

#[tokio::test]
async fn a_system_role_message_is_refused() {
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [
        {"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}]});

    let (status, kind, message) = refusal(&body).await;

    assert_eq!((status, kind.as_str()), (400, "invalid_request_error"));
    assert!(message.contains("top-level `system`"), "{message}");
}

#[tokio::test]
async fn fields_openai_has_and_anthropic_lacks_are_refused() {
    for (field, value) in [
        ("n", json!(1)),
        ("stop", json!(["x"])),
        ("user", json!("u")),
    ] {
        let mut body = message("claude-sonnet-4-5", "hi");
        body[field] = value;

        let (status, _, text) = refusal(&body).await;

        assert_eq!(status, 400);
        assert_eq!(text, format!("{field}: Extra inputs are not permitted"));
    }
}

#[tokio::test]
async fn each_malformed_body_names_the_field() {
    let tools = json!([{"name": "f", "input_schema": {"type": "object"}}]);
    let cases = [
        (
            json!({"temperature": 1.5}),
            "temperature: Input should be less than or equal to 1",
        ),
        (
            json!({"messages": []}),
            "messages: at least one message is required",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]}),
            "messages.0.content.0: text content blocks must be non-empty",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"type": "image", "source":
                {"type": "base64", "media_type": "image/bmp", "data": "Qk0="}}]}]}),
            "messages.0.content.0.source.media_type: Input should be 'image/jpeg', \
             'image/png', 'image/gif' or 'image/webp'",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"type": "image", "source":
                {"type": "base64", "media_type": "image/png", "data": "not base64!"}}]}]}),
            "messages.0.content.0.source.data: The image data is not valid base64.",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"type": "tool_use",
                "id": "t", "name": "f", "input": {}}]}]}),
            "messages.0.content.0.type: Input should be 'text', 'image', 'document' or \
             'tool_result'",
        ),
        (
            json!({"tools": tools, "tool_choice": {"type": "tool", "name": "g"}}),
            "tool_choice.name: Tool 'g' not found in provided tools",
        ),
        (
            json!({"tool_choice": {"type": "any"}}),
            "tool_choice: tool_choice may only be specified while providing tools.",
        ),
        (
            json!({"tools": [{"name": "f", "parameters": {"type": "object"}}]}),
            "tools.0.parameters: Extra inputs are not permitted",
        ),
        (
            json!({"output_config": {"format": {"type": "json_object"}}}),
            "output_config.format.type: Input should be 'json_schema'",
        ),
    ];

    for (fields, expected) in cases {
        let mut body = message("claude-sonnet-4-5", "hi");
        for (name, value) in fields.as_object().unwrap() {
            body[name] = value.clone();
        }
        let (status, _, text) = refusal(&body).await;
        assert_eq!((status, text.as_str()), (400, expected), "{fields}");
    }
}

#[tokio::test]
async fn tool_calls_and_results_must_pair_up_in_adjacent_turns() {
    let call = json!({"role": "assistant", "content": [
        {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]});
    let result = json!({"type": "tool_result", "tool_use_id": "toolu_1", "content": "done"});
    let user = |content: Value| json!({"role": "user", "content": content});
    let conversation = |messages: Value| {
        json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": messages,
               "tools": [{"name": "f", "input_schema": {"type": "object"}}]})
    };

    let unanswered = conversation(json!([user(json!("go")), call, user(json!("what?"))]));
    let (_, _, text) = refusal(&unanswered).await;
    assert!(
        text.starts_with("messages.1: `tool_use` ids were found without"),
        "{text}"
    );

    let unexpected = conversation(json!([user(json!([result]))]));
    let (_, _, text) = refusal(&unexpected).await;
    assert!(
        text.starts_with("messages.0: unexpected `tool_use_id`"),
        "{text}"
    );

    let text_first = conversation(json!([
        user(json!("go")),
        call,
        user(json!([{"type": "text", "text": "here"}, result]))
    ]));
    let (_, _, text) = refusal(&text_first).await;
    assert!(
        text.contains("must come before any other content"),
        "{text}"
    );

    let answered = conversation(json!([user(json!("go")), call, user(json!([result]))]));
    let mock = client::mock().await;
    assert_eq!(post(&mock, &answered).await.status, 200);
}

#[tokio::test]
async fn only_a_final_assistant_turn_may_be_empty() {
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": ""},
        {"role": "user", "content": "again"}]});
    let (_, _, text) = refusal(&body).await;
    assert!(
        text.starts_with("messages.1: all messages must have non-empty content"),
        "{text}"
    );

    let prefill = json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": ""}]});
    let mock = client::mock().await;
    assert_eq!(post(&mock, &prefill).await.status, 200);
}

#[tokio::test]
async fn the_key_and_version_headers_are_checked() {
    let mock = client::mock().await;
    let body = message("claude-sonnet-4-5", "hi").to_string();
    let json = ("content-type", "application/json");
    let version = ("anthropic-version", VERSION);
    let cases: [(Headers<'_>, u16, &str); 5] = [
        (&[json, version], 401, "x-api-key header is required"),
        (
            &[json, version, ("x-api-key", "sk-wrong")],
            401,
            "invalid x-api-key",
        ),
        (
            &[json, ("x-api-key", KEY)],
            400,
            "anthropic-version: header is required",
        ),
        (
            &[
                json,
                ("x-api-key", KEY),
                ("anthropic-version", "2020-01-01"),
            ],
            400,
            "anthropic-version: invalid version '2020-01-01'",
        ),
        (
            &[("content-type", "text/plain"), version, ("x-api-key", KEY)],
            400,
            "Unsupported content type 'text/plain'; send application/json.",
        ),
    ];

    for (headers, status, expected) in cases {
        let reply = send(&mock, Method::POST, "/v1/messages", headers, body.clone()).await;
        assert_eq!(reply.status, status, "{headers:?}");
        assert_eq!(reply.error()["message"], expected);
    }

    let bearer = format!("Bearer {KEY}");
    let headers = [
        json,
        ("anthropic-version", "2026-10-21"),
        ("authorization", &bearer),
    ];
    let reply = send(&mock, Method::POST, "/v1/messages", &headers, body).await;
    assert_eq!(reply.status, 200, "the newest SDKs' bearer key is accepted");
}

#[tokio::test]
async fn unknown_models_paths_and_methods_are_refused() {
    let mock = client::mock().await;

    let reply = post(&mock, &message("gpt-4o", "hi")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.error(),
        json!({"type": "not_found_error", "message": "model: gpt-4o"})
    );

    let headers = [("x-api-key", KEY), ("anthropic-version", VERSION)];
    let reply = send(
        &mock,
        Method::POST,
        "/v1/chat/completions",
        &headers,
        "{}".into(),
    )
    .await;
    assert_eq!(reply.status, 404);
    let reply = send(&mock, Method::GET, "/v1/messages", &headers, String::new()).await;
    assert_eq!(reply.status, 405);
}

#[tokio::test]
async fn echo_credentials_quotes_a_wrong_key_whole() {
    let mock = hub_testkit::AnthropicMock::start(hub_testkit::AnthropicConfig {
        api_key: Some(KEY.to_owned()),
        echo_credentials: true,
        ..hub_testkit::AnthropicConfig::default()
    })
    .await
    .expect("the mock starts");
    let body = message("claude-sonnet-4-5", "hi").to_string();
    let headers = [
        ("content-type", "application/json"),
        ("anthropic-version", VERSION),
        ("x-api-key", "sk-ant-wrong-key-5"),
    ];

    let reply = send(&mock, Method::POST, "/v1/messages", &headers, body).await;

    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.json()["error"]["message"],
        "invalid x-api-key: sk-ant-wrong-key-5"
    );
}
