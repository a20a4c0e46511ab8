//! End to end with the official `openai` Python client, pinned and installed by the harness
//! into a virtualenv of its own under the target directory.

use hub_testkit::{MockConfig, OpenAiMock};

use crate::common::{GatewayProcess, command, mock_config, run_openai_client};

#[tokio::test]
async fn the_official_python_client_works_unchanged_against_openai() {
    let mock = OpenAiMock::start(MockConfig {
        api_key: Some("sk-upstream".to_owned()),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let (mut command, dir) = command(&mock_config(&mock.base_url()));
    command.env("MOCK_KEY", "sk-upstream");
    let gateway = GatewayProcess::start(command, dir);

    let models = "gpt-4o,gpt-3.5-turbo-instruct,text-embedding-3-small";
    run_openai_client(&gateway, &[("HUB_MODELS", models)]).await;

    let embeddings = mock
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/embeddings");
    let formats: Vec<_> = embeddings
        .map(|r| r.body["encoding_format"].clone())
        .collect();
    assert_eq!(
        formats,
        ["base64", "float"],
        "the client's default encoding reached the upstream"
    );
}
