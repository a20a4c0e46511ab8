//! Every adapter built with credentials prints none of them in its debug output, so a
//! provider logged by mistake leaks nothing.

use hub_core::config::ProviderConfig;
use hub_testkit::{VertexMock, VertexMockConfig};
use serde_json::{Value, json};

const API_KEY: &str = "sk-debug-adapter-key-0001";
const AD_TOKEN: &str = "debug-entra-token-0002";
const KEY_ID: &str = "AKIADEBUGADAPTER0003";
const SECRET: &str = "debug-secret-access-key-0004";
const SESSION: &str = "debug-session-token-0005";

fn debug_of(config: Value) -> String {
    let config: ProviderConfig = serde_json::from_value(config).expect("a configuration");
    let adapter = hub_providers::build(&config, hub_providers::UpstreamLimits::default())
        .expect("the adapter builds");
    format!("{adapter:?} {adapter:#?}")
}

#[tokio::test]
async fn no_adapter_prints_a_credential() {
    let vertex = VertexMock::start(VertexMockConfig::default())
        .await
        .expect("the emulator starts");
    let account = vertex.service_account_json();
    let private_key: Value = serde_json::from_str(&account).expect("JSON");
    let private_key = private_key["private_key"]
        .as_str()
        .expect("a key")
        .to_owned();
    let key_line = private_key.lines().nth(2).expect("a PEM body").to_owned();

    let configs = [
        json!({"key": "o", "type": "openai", "api_key": API_KEY}),
        json!({"key": "a", "type": "anthropic", "api_key": API_KEY}),
        json!({"key": "z", "type": "azure", "api_key": API_KEY, "resource_name": "r",
               "api_version": "2024-10-21"}),
        json!({"key": "e", "type": "azure", "azure_ad_token": AD_TOKEN, "resource_name": "r",
               "api_version": "2024-10-21"}),
        json!({"key": "v", "type": "vertexai", "api_key": API_KEY, "project_id": "p",
               "location": "us-central1"}),
        json!({"key": "s", "type": "vertexai", "credentials_json": account, "project_id": "p",
               "location": "us-central1"}),
        json!({"key": "b", "type": "bedrock", "region": "us-east-1",
               "aws_access_key_id": KEY_ID, "aws_secret_access_key": SECRET,
               "aws_session_token": SESSION}),
        json!({"key": "k", "type": "bedrock", "region": "us-east-1", "api_key": API_KEY}),
    ];
    for config in configs {
        let text = debug_of(config);
        for secret in [API_KEY, AD_TOKEN, KEY_ID, SECRET, SESSION, &key_line] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
