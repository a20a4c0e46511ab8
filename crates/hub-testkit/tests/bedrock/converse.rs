//! Converse and ConverseStream: answers, the frame sequence Bedrock sends, tool calls, and
//! faults.

use hub_testkit::{BedrockFault, DEFAULT_BEDROCK_MODELS};
use serde_json::{Value, json};

use crate::client::{Signing, call, decode_frames, header, mock, payload, user};

const MODEL: &str = "amazon.nova-lite-v1:0";

fn weather_tools(choice: Option<Value>) -> Value {
    let mut config = json!({"tools": [{"toolSpec": {"name": "get_weather",
        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}},
                                 "required": ["city"]}}}}]});
    if let Some(choice) = choice {
        config["toolChoice"] = choice;
    }
    config
}

#[tokio::test]
async fn converse_echoes_the_last_user_text() {
    let mock = mock().await;
    let mut body = user("hello there");
    body["system"] = json!([{"text": "be brief"}]);

    let reply = call(&mock, MODEL, "converse", &body, &Signing::valid()).await;

    assert_eq!(reply.status, 200);
    let answer = reply.json();
    assert_eq!(
        answer["output"],
        json!({"message": {"role": "assistant", "content": [{"text": "Echo: hello there"}]}})
    );
    assert_eq!(answer["stopReason"], "end_turn");
    assert_eq!(
        answer["usage"],
        json!({"inputTokens": 4, "outputTokens": 3, "totalTokens": 7})
    );
}

#[tokio::test]
async fn every_chat_model_id_form_is_served() {
    let mock = mock().await;
    for model in DEFAULT_BEDROCK_MODELS
        .iter()
        .filter(|model| !model.contains("embed"))
    {
        let reply = call(&mock, model, "converse", &user("x"), &Signing::valid()).await;
        assert_eq!(reply.status, 200, "{model}");
    }
    let reply = call(
        &mock,
        "amazon.nova-ultra",
        "converse",
        &user("x"),
        &Signing::valid(),
    )
    .await;
    assert_eq!(
        (reply.status, reply.exception().as_str()),
        (400, "ValidationException")
    );
    assert_eq!(
        reply.json()["message"],
        "The provided model identifier is invalid."
    );
}

#[tokio::test]
async fn stop_sequences_and_max_tokens_report_their_reason() {
    let mock = mock().await;
    let mut body = user("one two three four");
    body["inferenceConfig"] = json!({"maxTokens": 2});
    let reply = call(&mock, MODEL, "converse", &body, &Signing::valid()).await;
    assert_eq!(reply.json()["stopReason"], "max_tokens");
    assert_eq!(
        reply.json()["output"]["message"]["content"][0]["text"],
        "Echo: one"
    );

    body["inferenceConfig"] = json!({"stopSequences": ["three"]});
    let reply = call(&mock, MODEL, "converse", &body, &Signing::valid()).await;
    assert_eq!(reply.json()["stopReason"], "stop_sequence");
}

#[tokio::test]
async fn a_forced_tool_choice_calls_the_tool() {
    let mock = mock().await;
    let mut body = user("Paris?");
    body["toolConfig"] = weather_tools(Some(json!({"any": {}})));

    let reply = call(&mock, MODEL, "converse", &body, &Signing::valid()).await;

    let answer = reply.json();
    assert_eq!(answer["stopReason"], "tool_use");
    let tool_use = &answer["output"]["message"]["content"][0]["toolUse"];
    assert_eq!(tool_use["name"], "get_weather");
    assert_eq!(tool_use["input"], json!({"city": "example"}));
}

#[tokio::test]
async fn the_stream_is_bedrocks_frame_sequence() {
    let mock = mock().await;
    let reply = call(
        &mock,
        MODEL,
        "converse-stream",
        &user("stream these words"),
        &Signing::valid(),
    )
    .await;

    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.headers["content-type"],
        "application/vnd.amazon.eventstream"
    );
    let frames = reply.frames();
    let names: Vec<&str> = frames
        .iter()
        .map(|frame| header(frame, ":event-type"))
        .collect();
    assert_eq!(names.first(), Some(&"messageStart"));
    assert!(
        !names.contains(&"contentBlockStart"),
        "no block start for text: {names:?}"
    );
    assert_eq!(
        &names[names.len() - 3..],
        ["contentBlockStop", "messageStop", "metadata"]
    );

    let text: String = frames
        .iter()
        .filter(|frame| header(frame, ":event-type") == "contentBlockDelta")
        .map(|frame| payload(frame)["delta"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, "Echo: stream these words");
    let metadata = payload(frames.last().unwrap());
    assert_eq!(metadata["usage"]["outputTokens"], 4);
    assert!(metadata["p"].is_string(), "payloads carry padding");
}

#[tokio::test]
async fn a_streamed_tool_call_starts_its_block_and_splits_its_input() {
    let mock = mock().await;
    let mut body = user("What is the weather in Paris?");
    body["toolConfig"] = weather_tools(None);

    let reply = call(&mock, MODEL, "converse-stream", &body, &Signing::valid()).await;

    let frames = reply.frames();
    let start = frames
        .iter()
        .find(|frame| header(frame, ":event-type") == "contentBlockStart")
        .expect("a block start for the tool call");
    assert_eq!(payload(start)["start"]["toolUse"]["name"], "get_weather");
    let input: String = frames
        .iter()
        .filter(|frame| header(frame, ":event-type") == "contentBlockDelta")
        .map(|frame| {
            payload(frame)["delta"]["toolUse"]["input"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(input, r#"{"city":"example"}"#);
}

#[tokio::test]
async fn a_stream_exception_follows_the_events_sent() {
    let mock = mock().await;
    mock.set_fault(Some(BedrockFault::StreamException {
        after_events: 2,
        exception_type: "throttlingException".to_owned(),
        message: "Too many tokens".to_owned(),
    }));

    let reply = call(
        &mock,
        MODEL,
        "converse-stream",
        &user("a b c"),
        &Signing::valid(),
    )
    .await;

    let frames = reply.frames();
    assert_eq!(frames.len(), 3);
    let last = frames.last().unwrap();
    assert_eq!(header(last, ":message-type"), "exception");
    assert_eq!(header(last, ":exception-type"), "throttlingException");
    assert_eq!(payload(last)["message"], "Too many tokens");
}

#[tokio::test]
async fn a_corrupted_frame_fails_its_crc() {
    let mock = mock().await;
    mock.set_fault(Some(BedrockFault::CorruptFrame { index: 1 }));
    let reply = call(
        &mock,
        MODEL,
        "converse-stream",
        &user("a b"),
        &Signing::valid(),
    )
    .await;
    let error = decode_frames(&reply.body).unwrap_err();
    assert!(error.contains("checksum"), "{error}");
}

#[tokio::test]
async fn an_exception_fault_answers_with_its_status() {
    let mock = mock().await;
    mock.set_fault(Some(BedrockFault::Exception {
        name: "ModelNotReadyException".to_owned(),
        message: "The model is loading.".to_owned(),
    }));
    let reply = call(&mock, MODEL, "converse", &user("x"), &Signing::valid()).await;
    assert_eq!(
        (reply.status, reply.exception().as_str()),
        (429, "ModelNotReadyException")
    );
    assert_eq!(reply.json(), json!({"message": "The model is loading."}));
}
