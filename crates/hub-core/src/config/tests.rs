//! Debug output of a configuration holding every kind of credential shows none of them.

use super::*;

const SECRETS: [&str; 6] = [
    "sk-debug-api-key-0001",
    "AKIADEBUGKEYID000002",
    "debug-secret-access-key-0003",
    "debug-session-token-0004",
    "debug-otlp-api-key-0005",
    "debug-otlp-header-value-0006",
];

fn provider(provider_type: ProviderType, params: &[(&str, &str)]) -> ProviderConfig {
    ProviderConfig {
        key: provider_type.as_str().to_owned(),
        provider_type,
        api_key: Some(SECRETS[0].to_owned()),
        base_url: None,
        connect_timeout_ms: None,
        timeout_ms: None,
        params: params
            .iter()
            .map(|(name, value)| ((*name).to_owned(), serde_json::Value::from(*value)))
            .collect(),
    }
}

#[test]
fn debug_output_holds_no_credential() {
    let bedrock = provider(
        ProviderType::Bedrock,
        &[
            ("aws_access_key_id", SECRETS[1]),
            ("aws_secret_access_key", SECRETS[2]),
            ("aws_session_token", SECRETS[3]),
        ],
    );
    let azure = provider(ProviderType::Azure, &[("azure_ad_token", SECRETS[3])]);
    let tracing = TracingConfig {
        endpoint: "http://collector:4318".to_owned(),
        api_key: Some(SECRETS[4].to_owned()),
        headers: [("x-honeycomb-team".to_owned(), SECRETS[5].to_owned())].into(),
    };
    let config = HubConfig {
        providers: vec![bedrock, azure],
        pipelines: vec![PipelineConfig {
            name: "default".to_owned(),
            pipeline_type: PipelineType::Chat,
            plugins: vec![PluginConfig::Tracing(tracing)],
        }],
        ..HubConfig::default()
    };

    for text in [format!("{config:?}"), format!("{config:#?}")] {
        for secret in SECRETS {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("aws_session_token"), "names stay: {text}");
    }
}
