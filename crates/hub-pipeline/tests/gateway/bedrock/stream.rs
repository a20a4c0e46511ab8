//! ConverseStream through the gateway: OpenAI chunks event by event, usage after
//! `metadata`, tool-call fragments, and `[DONE]`.

use http::StatusCode;
use serde_json::{Value, json};

use super::harness::{BedrockHarness, chat, weather_tool};

fn streamed(mut request: Value, include_usage: bool) -> Value {
    request["stream"] = json!(true);
    if include_usage {
        request["stream_options"] = json!({"include_usage": true});
    }
    request
}

fn chunks(events: &[String]) -> Vec<Value> {
    assert_eq!(
        events.last().map(String::as_str),
        Some("[DONE]"),
        "{events:?}"
    );
    events[..events.len() - 1]
        .iter()
        .map(|event| serde_json::from_str(event).expect("chunks are JSON"))
        .collect()
}

#[tokio::test]
async fn a_text_stream_becomes_openai_chunks() {
    let hub = BedrockHarness::start().await;

    let request = streamed(chat("nova", "stream these five words"), true);
    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "text/event-stream");
    let chunks = chunks(&reply.events());
    let text: String = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Echo: stream these five words");
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");

    let ids: std::collections::HashSet<&str> = chunks
        .iter()
        .map(|chunk| chunk["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "one id for the whole stream");
    let finishes: Vec<&Value> = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0].get("finish_reason"))
        .filter(|reason| !reason.is_null())
        .collect();
    assert_eq!(finishes, [&json!("stop")]);

    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(
        last["usage"],
        json!({"prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9})
    );
    assert_eq!(
        hub.mock.requests().pop().unwrap().path,
        "/model/amazon.nova-lite-v1%3A0/converse-stream"
    );
    hub.stop().await;
}

#[tokio::test]
async fn usage_is_hidden_unless_the_client_asked() {
    let hub = BedrockHarness::start().await;

    let reply = hub
        .post("/v1/chat/completions", &streamed(chat("nova", "hi"), false))
        .await;

    let chunks = chunks(&reply.events());
    assert!(
        chunks.iter().all(|chunk| chunk.get("usage").is_none()),
        "{chunks:?}"
    );
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    hub.stop().await;
}

#[tokio::test]
async fn a_streamed_tool_call_arrives_in_fragments() {
    let hub = BedrockHarness::start().await;
    let mut request = chat("nova", "What is the weather in Paris?");
    request["tools"] = json!([weather_tool()]);
    request["tool_choice"] = json!({"type": "function", "function": {"name": "get_weather"}});

    let reply = hub
        .post("/v1/chat/completions", &streamed(request, false))
        .await;

    let chunks = chunks(&reply.events());
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"].get("tool_calls"))
        .map(|calls| &calls[0])
        .collect();
    assert!(calls.len() > 2, "the arguments come in pieces: {calls:?}");
    assert_eq!(calls[0]["function"]["name"], "get_weather");
    assert!(calls[0]["id"].as_str().unwrap().starts_with("tooluse_"));
    let arguments: String = calls
        .iter()
        .filter_map(|call| call["function"]["arguments"].as_str())
        .collect();
    assert_eq!(arguments, r#"{"city":"example"}"#);
    assert!(calls.iter().all(|call| call["index"] == 0));
    let finish = &chunks.last().unwrap()["choices"][0]["finish_reason"];
    assert_eq!(finish, "tool_calls");
    hub.stop().await;
}
