//! Tool calls with Claude: offered tools, forced and chosen calls, results sent back, and
//! calls streamed in fragments.

use serde_json::{Value, json};

use super::harness::{Claude, chunks};

fn weather_tool() -> Value {
    json!([{"type": "function", "function": {"name": "get_weather",
        "description": "Weather by city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}}])
}

fn ask(text: &str) -> Value {
    json!({"model": "claude", "tools": weather_tool(),
           "messages": [{"role": "user", "content": text}]})
}

#[tokio::test]
async fn a_required_tool_is_called_and_read_back_as_tool_calls() {
    let claude = Claude::start().await;
    let mut request = ask("Paris please");
    request["tool_choice"] = json!("required");
    request["parallel_tool_calls"] = json!(false);

    let body = claude.chat(&request).await.json();

    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    assert!(call["id"].as_str().expect("an id").starts_with("toolu_"));
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], "{\"city\":\"example\"}");

    let sent = claude.sent().body;
    assert_eq!(
        sent["tool_choice"],
        json!({"type": "any", "disable_parallel_tool_use": true})
    );
    assert_eq!(
        sent["tools"],
        json!([{"name": "get_weather", "description": "Weather by city",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                 "required": ["city"]}}])
    );
    claude.stop().await;
}

#[tokio::test]
async fn a_call_claude_chose_comes_with_its_words() {
    let claude = Claude::start().await;

    let body = claude
        .chat(&ask("What is the weather in Paris?"))
        .await
        .json();

    let message = &body["choices"][0]["message"];
    assert_eq!(message["content"], "Let me check that.");
    assert_eq!(message["tool_calls"][0]["function"]["name"], "get_weather");
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    claude.stop().await;
}

#[tokio::test]
async fn a_tool_result_goes_back_as_a_tool_result_block_and_claude_answers() {
    let claude = Claude::start().await;
    let request = json!({"model": "claude", "tools": weather_tool(), "messages": [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "toolu_7", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "toolu_7", "content": "rainy, 14C"},
        {"role": "user", "content": "thanks"}
    ]});

    let body = claude.chat(&request).await.json();

    assert_eq!(body["choices"][0]["message"]["content"], "Echo: thanks");
    assert_eq!(
        claude.sent().body["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "What is the weather in Paris?"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_7",
                "name": "get_weather", "input": {"city": "Paris"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_7", "content": "rainy, 14C"},
                {"type": "text", "text": "thanks"}]}
        ])
    );
    claude.stop().await;
}

#[tokio::test]
async fn a_streamed_call_arrives_as_fragments_under_one_index() {
    let claude = Claude::start().await;
    let mut request = ask("What is the weather in Paris?");
    request["stream"] = json!(true);

    let chunks = chunks(&claude.chat(&request).await);

    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["tool_calls"].get(0))
        .collect();
    assert!(
        calls.len() > 2,
        "an opening and several fragments: {calls:?}"
    );
    assert!(calls.iter().all(|call| call["index"] == 0));
    assert_eq!(calls[0]["function"]["name"], "get_weather");
    assert!(
        calls[0]["id"]
            .as_str()
            .expect("an id")
            .starts_with("toolu_")
    );
    assert!(calls[1..].iter().all(|call| call.get("id").is_none()));
    let arguments: String = calls
        .iter()
        .filter_map(|call| call["function"]["arguments"].as_str())
        .collect();
    assert_eq!(arguments, "{\"city\":\"example\"}");

    let text: String = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Let me check that.");
    let finish = chunks
        .iter()
        .find_map(|chunk| chunk["choices"][0]["finish_reason"].as_str());
    assert_eq!(finish, Some("tool_calls"));
    claude.stop().await;
}
