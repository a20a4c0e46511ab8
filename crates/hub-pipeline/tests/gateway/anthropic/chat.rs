//! Chat completions served by Claude: what reaches Anthropic, and what the client reads.

use http::StatusCode;
use serde_json::{Value, json};

use super::harness::{Claude, KEY};

#[tokio::test]
async fn a_chat_reaches_anthropic_translated_and_comes_back_in_openais_shape() {
    let claude = Claude::start().await;
    let request = json!({
        "model": "claude",
        "messages": [
            {"role": "developer", "content": "You are terse."},
            {"role": "user", "content": "Hello"},
            {"role": "user", "content": "there"}
        ],
        "temperature": 0.5,
        "stop": "END",
        "user": "u-1"
    });

    let reply = claude.chat(&request).await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let body = reply.json();
    let id = body["id"].as_str().expect("an id");
    assert_eq!(
        body,
        json!({"id": id, "object": "chat.completion", "created": body["created"],
               "model": "claude-sonnet-4-5",
               "choices": [{"index": 0, "logprobs": null, "finish_reason": "stop",
                            "message": {"role": "assistant", "content": "Echo: Hello there",
                                        "refusal": null}}],
               "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8,
                         "prompt_tokens_details": {"cached_tokens": 0}}})
    );
    assert_eq!(reply.headers["x-hub-provider"], "anthropic");

    let sent = claude.sent();
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(
        sent.body,
        json!({"model": "claude-sonnet-4-5", "max_tokens": 4096, "system": "You are terse.",
               "messages": [{"role": "user", "content": [
                   {"type": "text", "text": "Hello"}, {"type": "text", "text": "there"}]}],
               "temperature": 0.5, "stop_sequences": ["END"],
               "metadata": {"user_id": "u-1"}})
    );
    claude.stop().await;
}

#[tokio::test]
async fn the_configured_limit_applies_and_a_cut_answer_reads_as_length() {
    let claude = Claude::start_with(|config| {
        config["providers"][0]["default_max_tokens"] = json!("3");
        config["providers"][0]["version"] = json!("2023-01-01");
    })
    .await;
    let request = json!({"model": "haiku",
        "messages": [{"role": "user", "content": "one two three four"}]});

    let body = claude.chat(&request).await.json();

    assert_eq!(body["choices"][0]["message"]["content"], "Echo: one two");
    assert_eq!(body["choices"][0]["finish_reason"], "length");
    let sent = claude.sent();
    assert_eq!(sent.body["max_tokens"], 3);
    assert_eq!(sent.body["model"], "claude-haiku-4-5");
    assert_eq!(sent.header("anthropic-version"), Some("2023-01-01"));
    claude.stop().await;
}

#[tokio::test]
async fn images_by_data_url_and_by_url_reach_anthropic_as_image_blocks() {
    let claude = Claude::start().await;
    let request = json!({"model": "claude", "max_completion_tokens": 50, "messages": [
    {"role": "user", "content": [
        {"type": "text", "text": "Compare"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"}}
    ]}]});

    let reply = claude.chat(&request).await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        reply.json()["choices"][0]["message"]["content"],
        "Echo: Compare"
    );
    assert_eq!(
        claude.sent().body["messages"][0]["content"],
        json!([
            {"type": "text", "text": "Compare"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}
        ])
    );
    claude.stop().await;
}

#[tokio::test]
async fn a_json_schema_answer_parses_as_the_schema_asks() {
    let claude = Claude::start().await;
    let request = json!({"model": "claude", "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "answer",
            "schema": {"type": "object", "properties": {"text": {"type": "string"}},
                       "required": ["text"], "additionalProperties": false}}}});

    let body = claude.chat(&request).await.json();

    let content = body["choices"][0]["message"]["content"]
        .as_str()
        .expect("text");
    let parsed: Value = serde_json::from_str(content).expect("JSON content");
    assert_eq!(parsed, json!({"text": "example"}));
    claude.stop().await;
}

#[tokio::test]
async fn parameters_anthropic_cannot_honour_are_refused_before_any_call() {
    let claude = Claude::start().await;
    let chat = |extra: Value| {
        let mut request =
            json!({"model": "claude", "messages": [{"role": "user", "content": "x"}]});
        for (name, value) in extra.as_object().expect("an object") {
            request[name] = value.clone();
        }
        request
    };

    for (extra, param) in [
        (json!({"n": 2}), "n"),
        (json!({"seed": 7}), "seed"),
        (json!({"temperature": 1.5}), "temperature"),
        (
            json!({"response_format": {"type": "json_object"}}),
            "response_format",
        ),
    ] {
        let reply = claude.chat(&chat(extra)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{param}");
        let error = reply.error();
        assert_eq!(error["type"], "invalid_request_error");
        assert_eq!(error["param"], param);
    }
    assert!(
        claude.mock.requests().is_empty(),
        "nothing reached Anthropic"
    );
    claude.stop().await;
}
