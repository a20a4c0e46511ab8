//! Malformed requests are refused with the status, `param` and `code` the real API uses.

use bytes::Bytes;
use http::Method;
use serde_json::{Value, json};

use hub_testkit::OpenAiMock;

use crate::client::{self, Reply, bearer, chat_body};

/// A chat body with `field` set to `value` on top of a valid request.
fn chat_with(field: &str, value: Value) -> Value {
    let mut body = chat_body("gpt-4o", "hi");
    body[field] = value;
    body
}

#[tokio::test]
async fn chat_fields_are_checked_one_by_one() {
    let mock = client::mock().await;
    let tool = |name: &str| json!([{"type": "function", "function": {"name": name}}]);
    let cases = [
        (
            json!({"messages": [{"role": "user", "content": "hi"}]}),
            "model",
            "missing_required_parameter",
        ),
        (
            json!({"model": "gpt-4o"}),
            "messages",
            "missing_required_parameter",
        ),
        (
            json!({"model": "gpt-4o", "messages": []}),
            "messages",
            "empty_array",
        ),
        (
            json!({"model": "gpt-4o", "messages": "hi"}),
            "messages",
            "invalid_type",
        ),
        (
            json!({"model": 4, "messages": [{"role": "user", "content": "hi"}]}),
            "model",
            "invalid_type",
        ),
        (
            chat_with("temperature", json!(2.5)),
            "temperature",
            "decimal_above_max_value",
        ),
        (
            chat_with("temperature", json!("hot")),
            "temperature",
            "invalid_type",
        ),
        (
            chat_with("top_p", json!(-0.1)),
            "top_p",
            "decimal_below_min_value",
        ),
        (chat_with("n", json!(0)), "n", "integer_below_min_value"),
        (chat_with("n", json!(129)), "n", "integer_above_max_value"),
        (
            chat_with("stop", json!(["a", "b", "c", "d", "e"])),
            "stop",
            "array_above_max_length",
        ),
        (
            chat_with("max_tokens", json!(0)),
            "max_tokens",
            "integer_below_min_value",
        ),
        (
            chat_with("max_completion_tokens", json!(1.5)),
            "max_completion_tokens",
            "invalid_type",
        ),
        (
            chat_with("logprobs", json!("yes")),
            "logprobs",
            "invalid_type",
        ),
        (
            chat_with("top_logprobs", json!(21)),
            "top_logprobs",
            "integer_above_max_value",
        ),
        (
            chat_with("tools", tool("get weather")),
            "tools[0].function.name",
            "invalid_value",
        ),
        (
            chat_with("tools", tool(&"x".repeat(65))),
            "tools[0].function.name",
            "invalid_value",
        ),
        (
            chat_with("tools", json!([{"type": "function"}])),
            "tools[0].function",
            "missing_required_parameter",
        ),
        (
            chat_with("tool_choice", json!("sometimes")),
            "tool_choice",
            "invalid_value",
        ),
        (
            chat_with(
                "response_format",
                json!({"type": "json_schema", "json_schema": {}}),
            ),
            "response_format.json_schema.name",
            "missing_required_parameter",
        ),
        (
            chat_with("response_format", json!({"type": "yaml"})),
            "response_format.type",
            "invalid_value",
        ),
    ];

    for (body, param, code) in cases {
        let reply = client::post(&mock, "/v1/chat/completions", &body).await;

        assert_eq!(reply.status, 400, "{body}");
        let error = reply.error();
        assert_eq!(error["param"], param, "{body}");
        assert_eq!(error["code"], code, "{body}");
        assert_eq!(error["type"], "invalid_request_error");
    }
}

#[tokio::test]
async fn rules_that_span_fields_are_enforced() {
    let mock = client::mock().await;
    let cases = [
        (
            chat_with("stream_options", json!({"include_usage": true})),
            "stream_options",
        ),
        (chat_with("tool_choice", json!("required")), "tool_choice"),
        (chat_with("top_logprobs", json!(2)), "top_logprobs"),
    ];

    for (body, param) in cases {
        let reply = client::post(&mock, "/v1/chat/completions", &body).await;

        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.error()["param"], param, "{body}");
    }
}

#[tokio::test]
async fn messages_are_checked_by_role() {
    let mock = client::mock().await;
    let cases = [
        (
            json!([{"role": "robot", "content": "x"}]),
            "messages[0].role",
        ),
        (
            json!([{"role": "user", "content": "x"}, {"role": "tool", "content": "r"}]),
            "messages[1].tool_call_id",
        ),
        (
            json!([{"role": "assistant", "content": null}]),
            "messages[0].content",
        ),
        (
            json!([{"role": "system",
                    "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]),
            "messages[0].content[0].type",
        ),
        (
            json!([{"role": "user", "content": [{"type": "video"}]}]),
            "messages[0].content[0].type",
        ),
    ];

    for (messages, param) in cases {
        let body = json!({"model": "gpt-4o", "messages": messages});
        let reply = client::post(&mock, "/v1/chat/completions", &body).await;

        assert_eq!(reply.status, 400, "{messages}");
        assert_eq!(reply.error()["param"], param, "{messages}");
    }
}

#[tokio::test]
async fn unknown_models_are_not_found() {
    let mock = client::mock().await;

    let reply = client::post(&mock, "/v1/chat/completions", &chat_body("gpt-9", "hi")).await;

    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.json(),
        json!({"error": {
            "message": "The model `gpt-9` does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found"
        }})
    );
}

#[tokio::test]
async fn models_of_the_wrong_kind_are_refused() {
    let mock = client::mock().await;

    let chat = client::post(
        &mock,
        "/v1/chat/completions",
        &chat_body("gpt-3.5-turbo-instruct", "hi"),
    )
    .await;
    let completion = client::post(
        &mock,
        "/v1/completions",
        &json!({"model": "gpt-4o", "prompt": "hi"}),
    )
    .await;
    let embedding = client::post(
        &mock,
        "/v1/embeddings",
        &json!({"model": "gpt-4o", "input": "hi"}),
    )
    .await;

    for reply in [chat, completion, embedding] {
        assert_eq!(reply.status, 404);
        assert_eq!(reply.error()["code"], "model_not_found");
    }
}

async fn post_raw(mock: &OpenAiMock, content_type: &str, body: &'static str) -> Reply {
    let auth = bearer();
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", content_type),
    ];
    let body = Bytes::from_static(body.as_bytes());
    client::send(
        mock.addr(),
        Method::POST,
        "/v1/chat/completions",
        &headers,
        body,
    )
    .await
}

#[tokio::test]
async fn bodies_must_be_json_objects() {
    let mock = client::mock().await;

    assert_eq!(post_raw(&mock, "text/plain", "{}").await.status, 415);
    assert_eq!(
        post_raw(&mock, "application/json", "{not json")
            .await
            .status,
        400
    );
    assert_eq!(
        post_raw(&mock, "application/json", "[1, 2]").await.error()["code"],
        "invalid_type"
    );
    let with_charset = post_raw(&mock, "application/json; charset=utf-8", "{}").await;
    assert_eq!(with_charset.error()["param"], "model");
}

#[tokio::test]
async fn unknown_paths_and_methods_are_refused() {
    let mock = client::mock().await;

    let unknown = client::get(&mock, "/v1/assistants").await;
    let wrong_method = client::get(&mock, "/v1/chat/completions").await;
    let outside = client::get(&mock, "/chat/completions").await;

    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.error()["message"],
        "Invalid URL (GET /v1/assistants)"
    );
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.error()["type"], "invalid_request_error");
    assert_eq!(outside.status, 404);
}

#[tokio::test]
async fn unknown_fields_are_accepted_and_recorded() {
    let mock = client::mock().await;
    let body = chat_with("x_trace_tag", json!({"team": "search"}));

    let reply = client::post(&mock, "/v1/chat/completions", &body).await;

    assert_eq!(reply.status, 200);
    assert_eq!(
        mock.requests()[0].body["x_trace_tag"],
        json!({"team": "search"})
    );
}
