//! End to end against Azure OpenAI: the official `openai` Python client talks to the real
//! binary, which serves `azure` models from the Azure emulator.

use hub_testkit::{AzureMock, AzureMockConfig};

use crate::common::{GatewayProcess, command, run_openai_client};

fn azure_config(base_url: &str) -> String {
    format!(
        r#"
providers:
  - key: azure
    type: azure
    api_key: ${{AZURE_OPENAI_API_KEY}}
    base_url: {base_url}
    api_version: "2024-10-21"
models:
  - {{ key: azure-gpt-4o, type: gpt-4o, provider: azure, deployment: gpt-4o }}
  - key: azure-instruct
    type: gpt-3.5-turbo-instruct
    provider: azure
    deployment: gpt-35-turbo-instruct
  - key: azure-embedding
    type: text-embedding-3-small
    provider: azure
    deployment: text-embedding-3-small
pipelines:
  - name: default
    type: chat
    plugins:
      - model-router: {{ models: [azure-gpt-4o] }}
  - name: completions
    type: completion
    plugins:
      - model-router: {{ models: [azure-instruct] }}
  - name: embeddings
    type: embeddings
    plugins:
      - model-router: {{ models: [azure-embedding] }}
"#
    )
}

#[tokio::test]
async fn the_official_python_client_works_unchanged_against_azure() {
    let mock = AzureMock::start(AzureMockConfig {
        api_key: Some("azure-upstream".to_owned()),
        ..AzureMockConfig::default()
    })
    .await
    .unwrap();
    let (mut command, dir) = command(&azure_config(&mock.base_url()));
    command.env("AZURE_OPENAI_API_KEY", "azure-upstream");
    let gateway = GatewayProcess::start(command, dir);

    let checks = "chat,stream,tools,tool_stream,models,errors,completion,embeddings";
    run_openai_client(
        &gateway,
        &[
            ("HUB_CHAT_MODEL", "azure-gpt-4o"),
            ("HUB_COMPLETION_MODEL", "azure-instruct"),
            ("HUB_EMBEDDING_MODEL", "azure-embedding"),
            ("HUB_MODELS", "azure-gpt-4o,azure-instruct,azure-embedding"),
            ("HUB_CHECKS", checks),
        ],
    )
    .await;

    let chats = mock
        .requests()
        .into_iter()
        .filter(|request| request.path.contains("/chat/completions"))
        .count();
    assert!(chats >= 5, "the chat checks reached Azure, {chats} times");
}
