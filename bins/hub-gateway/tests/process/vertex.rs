//! End to end against Vertex AI: the official `openai` Python client talks to the real binary,
//! which serves `vertexai` models from the Vertex emulator with a service-account key file.

use hub_testkit::{VertexMock, VertexMockConfig};

use crate::common::{GatewayProcess, command, run_openai_client};

fn vertex_config(base_url: &str) -> String {
    format!(
        r#"
providers:
  - key: vertex
    type: vertexai
    base_url: {base_url}
    project_id: hub-test-project
    location: us-central1
    credentials_path: ${{GOOGLE_APPLICATION_CREDENTIALS}}
models:
  - {{ key: gemini-flash, type: gemini-2.5-flash, provider: vertex }}
  - {{ key: gecko, type: text-embedding-005, provider: vertex }}
pipelines:
  - name: default
    type: chat
    plugins:
      - model-router: {{ models: [gemini-flash] }}
  - name: embeddings
    type: embeddings
    plugins:
      - model-router: {{ models: [gecko] }}
"#
    )
}

#[tokio::test]
async fn the_official_python_client_works_unchanged_against_vertex() {
    let mock = VertexMock::start(VertexMockConfig::default())
        .await
        .unwrap();
    let (mut command, dir) = command(&vertex_config(&mock.base_url()));
    let key_file = dir.path().join("service-account.json");
    std::fs::write(&key_file, mock.service_account_json()).unwrap();
    command.env("GOOGLE_APPLICATION_CREDENTIALS", &key_file);
    let gateway = GatewayProcess::start(command, dir);

    let checks = "chat,stream,tools,tool_stream,models,errors,embeddings";
    run_openai_client(
        &gateway,
        &[
            ("HUB_CHAT_MODEL", "gemini-flash"),
            ("HUB_EMBEDDING_MODEL", "gecko"),
            ("HUB_MODELS", "gemini-flash,gecko"),
            ("HUB_CHECKS", checks),
        ],
    )
    .await;

    let requests = mock.requests();
    let tokens = requests.iter().filter(|r| r.path == "/token").count();
    assert_eq!(tokens, 1, "one access token served every call");
    assert!(
        requests
            .iter()
            .any(|r| r.path.ends_with(":streamGenerateContent?alt=sse"))
    );
}
