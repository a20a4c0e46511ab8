//! What the emulator answers, whole and streamed, following the reply convention the shared
//! end-to-end script relies on.

use serde_json::{Value, json};

use crate::client::{self, message, post};

fn weather_tool() -> Value {
    json!([{"name": "get_weather", "description": "Weather by city", "input_schema": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}])
}

#[tokio::test]
async fn a_message_is_echoed_with_its_usage() {
    let mock = client::mock().await;
    let mut body = message("claude-sonnet-4-5", "Hello there");
    body["system"] = json!("Be terse.");

    let reply = post(&mock, &body).await;

    assert_eq!(reply.status, 200);
    let answer = reply.json();
    let id = answer["id"].as_str().unwrap();
    assert!(id.starts_with("msg_"), "{id}");
    assert_eq!(
        answer,
        json!({"id": id, "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
               "content": [{"type": "text", "text": "Echo: Hello there"}],
               "stop_reason": "end_turn", "stop_sequence": null,
               "usage": {"input_tokens": 4, "output_tokens": 3,
                         "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}})
    );
    assert!(reply.headers.contains_key("request-id"));
}

#[tokio::test]
async fn consecutive_user_messages_are_read_as_one_turn() {
    let mock = client::mock().await;
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 50, "messages": [
        {"role": "user", "content": "one"},
        {"role": "user", "content": [{"type": "text", "text": "two"}]}]});

    let answer = post(&mock, &body).await.json();

    assert_eq!(answer["content"][0]["text"], "Echo: one two");
}

#[tokio::test]
async fn stop_sequences_and_max_tokens_end_the_answer_early() {
    let mock = client::mock().await;

    let mut body = message("claude-sonnet-4-5", "one two three");
    body["stop_sequences"] = json!(["three", "nine"]);
    let answer = post(&mock, &body).await.json();
    assert_eq!(answer["content"][0]["text"], "Echo: one two ");
    assert_eq!(answer["stop_reason"], "stop_sequence");
    assert_eq!(answer["stop_sequence"], "three");

    let mut body = message("claude-sonnet-4-5", "one two three");
    body["max_tokens"] = json!(2);
    let answer = post(&mock, &body).await.json();
    assert_eq!(answer["content"][0]["text"], "Echo: one");
    assert_eq!(answer["stop_reason"], "max_tokens");
    assert_eq!(answer["stop_sequence"], Value::Null);
}

#[tokio::test]
async fn a_forced_tool_is_called_with_input_from_its_schema() {
    let mock = client::mock().await;
    let mut body = message("claude-sonnet-4-5", "Paris?");
    body["tools"] = weather_tool();
    body["tool_choice"] = json!({"type": "any"});

    let answer = post(&mock, &body).await.json();

    assert_eq!(answer["stop_reason"], "tool_use");
    let content = answer["content"].as_array().unwrap();
    assert_eq!(content.len(), 1, "a forced call comes alone");
    assert_eq!(content[0]["type"], "tool_use");
    assert_eq!(content[0]["name"], "get_weather");
    assert_eq!(content[0]["input"], json!({"city": "example"}));
    assert!(content[0]["id"].as_str().unwrap().starts_with("toolu_"));
}

#[tokio::test]
async fn a_call_the_model_chose_comes_after_a_few_words() {
    let mock = client::mock().await;
    let mut body = message("claude-sonnet-4-5", "What is the weather in Paris?");
    body["tools"] = weather_tool();

    let answer = post(&mock, &body).await.json();

    let kinds: Vec<&Value> = answer["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|block| &block["type"])
        .collect();
    assert_eq!(kinds, [&json!("text"), &json!("tool_use")]);
}

#[tokio::test]
async fn after_a_tool_result_the_model_answers_in_words() {
    let mock = client::mock().await;
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 50, "tools": weather_tool(),
    "messages": [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "rainy, 14C"},
            {"type": "text", "text": "thanks"}]}
    ]});

    let answer = post(&mock, &body).await.json();

    assert_eq!(
        answer["content"],
        json!([{"type": "text", "text": "Echo: thanks"}])
    );
    assert_eq!(answer["stop_reason"], "end_turn");
}

#[tokio::test]
async fn structured_output_answers_json_of_the_schema() {
    let mock = client::mock().await;
    let mut body = message("claude-sonnet-4-5", "hi");
    body["output_config"] = json!({"format": {"type": "json_schema", "schema": {
        "type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"],
        "additionalProperties": false}}});

    let answer = post(&mock, &body).await.json();

    let text = answer["content"][0]["text"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap(),
        json!({"answer": "example"})
    );
}

#[tokio::test]
async fn a_stream_sends_every_event_with_its_name() {
    let mock = client::mock().await;
    let mut body = message("claude-sonnet-4-5", "Hello world");
    body["stream"] = json!(true);

    let reply = post(&mock, &body).await;

    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.headers["content-type"],
        "text/event-stream; charset=utf-8"
    );
    let events = reply.events();
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let text: String = events
        .iter()
        .filter_map(|(_, data)| data["delta"]["text"].as_str())
        .collect();
    assert_eq!(text, "Echo: Hello world");
    assert_eq!(events[0].1["message"]["usage"]["input_tokens"], 2);
    assert_eq!(
        events[7].1,
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null},
               "usage": {"output_tokens": 3}})
    );
}

#[tokio::test]
async fn a_streamed_call_sends_its_input_in_fragments() {
    let mock = client::mock().await;
    let mut body = message("claude-sonnet-4-5", "What is the weather in Paris?");
    body["tools"] = weather_tool();
    body["stream"] = json!(true);

    let events = post(&mock, &body).await.events();

    let starts: Vec<&Value> = events
        .iter()
        .filter(|(name, _)| name == "content_block_start")
        .map(|(_, data)| &data["content_block"]["type"])
        .collect();
    assert_eq!(starts, [&json!("text"), &json!("tool_use")]);
    let fragments: Vec<&str> = events
        .iter()
        .filter(|(_, data)| data["index"] == 1)
        .filter_map(|(_, data)| data["delta"]["partial_json"].as_str())
        .collect();
    assert!(fragments.len() > 1, "{fragments:?}");
    assert_eq!(fragments.concat(), "{\"city\":\"example\"}");
}
