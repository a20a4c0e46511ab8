//! Chat through Converse: the answer, the request Bedrock received, and tool round trips.

use http::StatusCode;
use hub_testkit::{AwsKey, BedrockMockConfig};
use serde_json::json;

use super::harness::{BedrockHarness, chat, weather_tool};

#[tokio::test]
async fn a_chat_is_signed_translated_and_answered() {
    let hub = BedrockHarness::start().await;
    let mut request = chat("nova", "Hello from Hub");
    request["messages"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({"role": "developer", "content": "You are terse."}));
    request["temperature"] = json!(0.2);
    request["max_completion_tokens"] = json!(64);

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let body = reply.json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "amazon.nova-lite-v1:0");
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Echo: Hello from Hub"
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 6, "completion_tokens": 4, "total_tokens": 10})
    );
    assert_eq!(reply.headers["x-hub-provider"], "aws");

    let sent = hub.mock.requests().pop().expect("Bedrock saw the call");
    assert_eq!(sent.path, "/model/amazon.nova-lite-v1%3A0/converse");
    assert!(
        sent.header("authorization")
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    );
    assert_eq!(
        sent.body,
        json!({"messages": [{"role": "user", "content": [{"text": "Hello from Hub"}]}],
               "system": [{"text": "You are terse."}],
               "inferenceConfig": {"maxTokens": 64, "temperature": 0.2}})
    );
    hub.stop().await;
}

#[tokio::test]
async fn inference_profiles_and_arns_are_path_encoded() {
    let hub = BedrockHarness::start().await;

    for (model, path) in [
        (
            "haiku",
            "/model/us.anthropic.claude-3-haiku-20240307-v1%3A0/converse",
        ),
        (
            "profile",
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile\
             %2Fus.amazon.nova-lite-v1%3A0/converse",
        ),
    ] {
        let reply = hub.post("/v1/chat/completions", &chat(model, "hi")).await;
        assert_eq!(reply.status, StatusCode::OK, "{model}: {:?}", reply.body);
        assert_eq!(hub.mock.requests().pop().unwrap().path, path);
    }
    hub.stop().await;
}

#[tokio::test]
async fn temporary_static_credentials_sign_with_their_token() {
    let key = AwsKey::new("ASIASTATIC", "temp-secret").with_session_token("temp-token");
    let mock = BedrockMockConfig {
        keys: vec![key],
        ..BedrockMockConfig::default()
    };
    let hub = BedrockHarness::start_with(mock, |config| {
        let provider = &mut config["providers"][0];
        provider["aws_access_key_id"] = json!("ASIASTATIC");
        provider["aws_secret_access_key"] = json!("temp-secret");
        provider["aws_session_token"] = json!("temp-token");
    })
    .await;

    let reply = hub.post("/v1/chat/completions", &chat("nova", "hi")).await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let sent = hub.mock.requests().pop().unwrap();
    assert_eq!(sent.header("x-amz-security-token"), Some("temp-token"));
    hub.stop().await;
}

#[tokio::test]
async fn a_bedrock_api_key_replaces_the_signature() {
    let mock = BedrockMockConfig {
        api_keys: vec!["bedrock-key".to_owned()],
        ..BedrockMockConfig::default()
    };
    let hub = BedrockHarness::start_with(mock, |config| {
        config["providers"][0]["api_key"] = json!("bedrock-key");
    })
    .await;

    let reply = hub.post("/v1/chat/completions", &chat("nova", "hi")).await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let sent = hub.mock.requests().pop().unwrap();
    assert_eq!(sent.header("authorization"), Some("Bearer bedrock-key"));
    hub.stop().await;
}

#[tokio::test]
async fn a_forced_tool_call_and_its_result_round_trip() {
    let hub = BedrockHarness::start().await;
    let mut request = chat("nova", "What is the weather in Paris?");
    request["tools"] = json!([weather_tool()]);
    request["tool_choice"] = json!("required");

    let body = hub.post("/v1/chat/completions", &request).await.json();

    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    let call = choice["message"]["tool_calls"][0].clone();
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], r#"{"city":"example"}"#);
    let sent = hub.mock.requests().pop().unwrap();
    assert_eq!(sent.body["toolConfig"]["toolChoice"], json!({"any": {}}));

    let followup = json!({"model": "nova", "tools": [weather_tool()], "messages": [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": null, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "rainy, 14C"},
        {"role": "user", "content": "thanks"}
    ]});
    let reply = hub.post("/v1/chat/completions", &followup).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        reply.json()["choices"][0]["message"]["content"],
        "Echo: thanks"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_weather_question_with_tools_offered_calls_the_tool() {
    let hub = BedrockHarness::start().await;
    let mut request = chat("haiku", "How is the weather in Oslo?");
    request["tools"] = json!([weather_tool()]);

    let body = hub.post("/v1/chat/completions", &request).await.json();

    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    let sent = hub.mock.requests().pop().unwrap();
    assert!(
        sent.body["toolConfig"].get("toolChoice").is_none(),
        "auto is the default"
    );
    hub.stop().await;
}
