//! A `bedrock` provider in the real binary: the official `openai` Python client against a
//! Bedrock model, and credentials from each source of the AWS credential chain.

mod credential_chain;

use hub_testkit::{BedrockMock, BedrockMockConfig};

use crate::common::{GatewayProcess, command, run_openai_client};

/// The emulator's default key, which the e2e configuration gives as static keys.
const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// A configuration with one `bedrock` provider at `base_url`, a chat model and an embedding
/// model; `credentials` holds the provider's credential lines, if any.
pub(crate) fn bedrock_config(base_url: &str, credentials: &str) -> String {
    format!(
        r#"
providers:
  - key: aws
    type: bedrock
    region: us-east-1
    base_url: {base_url}
{credentials}
models:
  - {{ key: nova, type: "amazon.nova-lite-v1:0", provider: aws }}
  - {{ key: titan, type: "amazon.titan-embed-text-v2:0", provider: aws }}
pipelines:
  - name: default
    type: chat
    plugins:
      - logging: {{ level: info }}
      - model-router: {{ models: [nova] }}
  - name: embeddings
    type: embeddings
    plugins:
      - model-router: {{ models: [titan] }}
"#
    )
}

#[tokio::test]
async fn the_official_python_client_works_unchanged_against_bedrock() {
    let mock = BedrockMock::start(BedrockMockConfig::default())
        .await
        .expect("the emulator starts");
    // The original Hub's upper-case spelling of the keys, read from the environment.
    let credentials = "    AWS_ACCESS_KEY_ID: ${BEDROCK_KEY_ID}\n    \
                       AWS_SECRET_ACCESS_KEY: ${BEDROCK_SECRET}";
    let (mut command, dir) = command(&bedrock_config(&mock.base_url(), credentials));
    command
        .env("BEDROCK_KEY_ID", ACCESS_KEY_ID)
        .env("BEDROCK_SECRET", SECRET_ACCESS_KEY);
    let gateway = GatewayProcess::start(command, dir);

    let checks = "chat,stream,tools,tool_stream,embeddings,models,errors";
    run_openai_client(
        &gateway,
        &[
            ("HUB_CHAT_MODEL", "nova"),
            ("HUB_EMBEDDING_MODEL", "titan"),
            ("HUB_MODELS", "nova,titan"),
            ("HUB_CHECKS", checks),
        ],
    )
    .await;

    let requests = mock.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert!(
        paths.contains(&"/model/amazon.nova-lite-v1%3A0/converse-stream"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"/model/amazon.titan-embed-text-v2%3A0/invoke"),
        "{paths:?}"
    );
    let signed = requests.iter().all(|request| {
        request
            .header("authorization")
            .is_some_and(|value| value.contains(&format!("Credential={ACCESS_KEY_ID}/")))
    });
    assert!(signed, "every call was signed with the configured key");
}
