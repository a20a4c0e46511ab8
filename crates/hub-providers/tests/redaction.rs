//! Each adapter against its emulator quoting refused credentials back whole: the error the
//! adapter returns names the provider and the refusal, never the credential it sent.

use futures_util::StreamExt;
use hub_core::chat::ChatCompletionRequest;
use hub_core::config::{ModelConfig, ProviderConfig};
use hub_core::{ChatResponse, Error};
use hub_testkit::{
    AnthropicConfig, AnthropicMock, AwsKey, AzureMock, AzureMockConfig, BedrockMock,
    BedrockMockConfig, MockConfig, OpenAiMock, VertexMock, VertexMockConfig,
};
use serde_json::{Value, json};

fn provider(config: Value) -> ProviderConfig {
    serde_json::from_value(config).expect("a provider configuration")
}

fn model(model_type: &str, extra: Value) -> ModelConfig {
    let mut config = json!({"key": "m", "type": model_type, "provider": "p"});
    if let (Some(config), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
        config.extend(extra.clone());
    }
    serde_json::from_value(config).expect("a model configuration")
}

/// A chat call through the adapter built from `config`; the error it ends with, whether the
/// call fails or its stream does.
async fn refusal(config: ProviderConfig, model: ModelConfig, stream: bool) -> Error {
    let adapter = hub_providers::build(&config, hub_providers::UpstreamLimits::default())
        .expect("the adapter builds");
    let request: ChatCompletionRequest = serde_json::from_value(json!({
        "model": "m",
        "stream": stream,
        "messages": [{"role": "user", "content": "hi"}],
    }))
    .expect("a request");
    match adapter.chat_completion(&model, request).await {
        Err(error) => error,
        Ok(ChatResponse::Stream(mut chunks)) => loop {
            match chunks.next().await {
                Some(Err(error)) => break error,
                Some(Ok(_)) => {}
                None => panic!("the stream ended without an error"),
            }
        },
        Ok(ChatResponse::Complete(completion)) => panic!("answered: {completion:?}"),
    }
}

/// The error's every text, as a client or a log would get it.
fn texts(error: &Error) -> String {
    format!("{error} {:?}", error.to_body())
}

fn assert_redacted(error: &Error, credentials: &[&str]) {
    let text = texts(error);
    assert!(
        text.contains("[redacted]"),
        "the refusal quoted something: {text}"
    );
    for credential in credentials {
        assert!(!text.contains(credential), "{credential} in {text}");
    }
}

#[tokio::test]
async fn openai_keeps_a_quoted_key_out_of_its_error() {
    let mock = OpenAiMock::start(MockConfig {
        api_key: Some("sk-right-0123456789abcdef".to_owned()),
        echo_credentials: true,
        ..MockConfig::default()
    })
    .await
    .expect("the emulator starts");
    let key = "sk-wrong-0123456789abcdef";
    let config = provider(json!({"key": "p", "type": "openai", "api_key": key,
                                 "base_url": mock.base_url()}));

    for stream in [false, true] {
        let error = refusal(config.clone(), model("gpt-4o", json!({})), stream).await;
        assert_redacted(&error, &[key]);
    }
}

#[tokio::test]
async fn anthropic_keeps_a_quoted_key_out_of_its_error() {
    let mock = AnthropicMock::start(AnthropicConfig {
        api_key: Some("sk-ant-right-0123456789".to_owned()),
        echo_credentials: true,
        ..AnthropicConfig::default()
    })
    .await
    .expect("the emulator starts");
    let key = "sk-ant-wrong-0123456789";
    let config = provider(json!({"key": "p", "type": "anthropic", "api_key": key,
                                 "base_url": mock.base_url()}));

    let error = refusal(config, model("claude-haiku-4-5", json!({})), false).await;
    assert_redacted(&error, &[key]);
}

#[tokio::test]
async fn azure_keeps_a_quoted_key_or_entra_token_out_of_its_error() {
    let mock = AzureMock::start(AzureMockConfig {
        api_key: Some("azure-right-0123456789".to_owned()),
        echo_credentials: true,
        ..AzureMockConfig::default()
    })
    .await
    .expect("the emulator starts");
    let deployment = model("gpt-4o", json!({"deployment": "gpt-4o"}));
    let key = "azure-wrong-0123456789";
    let token = "entra-wrong-0123456789";
    let common = json!({"key": "p", "type": "azure", "base_url": mock.base_url(),
                        "api_version": "2024-10-21"});

    for credential in [json!({"api_key": key}), json!({"azure_ad_token": token})] {
        let mut config = common.clone();
        if let (Some(config), Some(credential)) = (config.as_object_mut(), credential.as_object()) {
            config.extend(credential.clone());
        }
        let error = refusal(provider(config), deployment.clone(), false).await;
        assert_redacted(&error, &[key, token]);
    }
}

#[tokio::test]
async fn vertex_keeps_a_quoted_api_key_or_access_token_out_of_its_error() {
    let issuer = VertexMock::start(VertexMockConfig::default())
        .await
        .expect("the emulator starts");
    let elsewhere = VertexMock::start(VertexMockConfig {
        api_key: Some("AIza-right-0123456789".to_owned()),
        echo_credentials: true,
        ..VertexMockConfig::default()
    })
    .await
    .expect("another emulator starts");
    let common = json!({"key": "p", "type": "vertexai", "base_url": elsewhere.base_url(),
                        "project_id": "hub-test-project", "location": "us-central1"});
    let gemini = model("gemini-2.5-flash", json!({}));

    let mut with_key = common.clone();
    with_key["api_key"] = json!("AIza-wrong-0123456789");
    let error = refusal(provider(with_key), gemini.clone(), false).await;
    assert_redacted(&error, &["AIza-wrong-0123456789"]);

    // A token the issuer granted, sent to a Vertex that never saw it and quotes it back.
    let mut with_account = common;
    with_account["credentials_json"] = json!(issuer.service_account_json());
    let error = refusal(provider(with_account), gemini, false).await;
    assert_redacted(&error, &["ya29.mock-"]);
}

#[tokio::test]
async fn bedrock_keeps_a_quoted_key_id_and_session_token_out_of_its_error() {
    let mock = BedrockMock::start(BedrockMockConfig {
        keys: vec![AwsKey::new("AKIARIGHT0123456789", "right-secret")],
        echo_credentials: true,
        ..BedrockMockConfig::default()
    })
    .await
    .expect("the emulator starts");
    let (key_id, token) = ("AKIAWRONG0123456789", "wrong-session-token-0123456789");
    let config = provider(json!({"key": "p", "type": "bedrock", "region": "us-east-1",
                                 "base_url": mock.base_url(), "aws_access_key_id": key_id,
                                 "aws_secret_access_key": "wrong-secret-0123456789",
                                 "aws_session_token": token}));

    for stream in [false, true] {
        let error = refusal(
            config.clone(),
            model("amazon.nova-lite-v1:0", json!({})),
            stream,
        )
        .await;
        assert_redacted(&error, &[key_id, token]);
    }
}
