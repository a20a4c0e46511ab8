//! End to end with the official `openai` Python client against a model served by Claude:
//! the client speaks OpenAI's chat API and must not notice that Anthropic answers.

use hub_testkit::{AnthropicConfig, AnthropicMock};

use crate::common::{GatewayProcess, command, run_openai_client};

/// A configuration with one model, `claude`, on an `anthropic` provider at `base_url`.
fn claude_config(base_url: &str) -> String {
    format!(
        r#"
providers:
  - key: anthropic
    type: anthropic
    api_key: ${{ANTHROPIC_KEY}}
    base_url: {base_url}
models:
  - {{ key: claude, type: claude-sonnet-4-5, provider: anthropic }}
pipelines:
  - name: default
    type: chat
    plugins:
      - model-router: {{ models: [claude] }}
"#
    )
}

#[tokio::test]
async fn the_official_python_client_works_unchanged_against_claude() {
    let mock = AnthropicMock::start(AnthropicConfig {
        api_key: Some("sk-ant-upstream".to_owned()),
        ..AnthropicConfig::default()
    })
    .await
    .unwrap();
    let (mut command, dir) = command(&claude_config(&mock.base_url()));
    command.env("ANTHROPIC_KEY", "sk-ant-upstream");
    let gateway = GatewayProcess::start(command, dir);

    run_openai_client(
        &gateway,
        &[
            ("HUB_CHAT_MODEL", "claude"),
            ("HUB_MODELS", "claude"),
            ("HUB_CHECKS", "chat,stream,tools,tool_stream,models,errors"),
        ],
    )
    .await;

    let requests = mock.requests();
    assert!(
        requests.iter().all(|request| request.path == "/v1/messages"
            && request.header("x-api-key") == Some("sk-ant-upstream")),
        "every call went to the Messages API with the provider's key"
    );
    let chat = &requests[0].body;
    assert_eq!(
        chat["system"], "You are terse.",
        "the developer message moved up"
    );
    assert_eq!(chat["max_tokens"], 4096, "the default limit was sent");
}
