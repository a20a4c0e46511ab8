//! A `bedrock` provider's configuration read into what the adapter needs: where to send,
//! which region to sign for, and how to authenticate.

use std::fmt;

use http::Uri;
use hub_core::config::ProviderConfig;

use crate::BuildError;

/// How calls are authenticated.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum AuthSettings {
    /// SigV4 with keys written in the configuration.
    StaticKeys {
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
    },
    /// SigV4 with keys from the standard AWS credential chain.
    CredentialChain,
    /// A Bedrock API key, sent as `Authorization: Bearer`, which Bedrock accepts instead of
    /// a signature.
    ApiKey(String),
}

// Written by hand so that no secret reaches a log line.
impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthSettings::StaticKeys {
                access_key_id,
                session_token,
                ..
            } => f
                .debug_struct("StaticKeys")
                .field("access_key_id", access_key_id)
                .field("secret_access_key", &"<redacted>")
                .field(
                    "session_token",
                    &session_token.as_ref().map(|_| "<redacted>"),
                )
                .finish(),
            AuthSettings::CredentialChain => f.write_str("CredentialChain"),
            AuthSettings::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
        }
    }
}

/// Everything the adapter takes from its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Settings {
    /// The endpoint without a trailing slash; operation paths are appended to it.
    pub(super) base_url: String,
    /// The region requests are signed for.
    pub(super) region: String,
    pub(super) auth: AuthSettings,
}

impl Settings {
    /// Reads `region`, `base_url`, `api_key` and the static keys (either spelling).
    pub(super) fn from_config(config: &ProviderConfig) -> Result<Settings, BuildError> {
        let region = match (param(config, "region"), &config.base_url) {
            (Some(region), _) => region.to_owned(),
            (None, Some(base_url)) => region_of(base_url).ok_or(BuildError::InvalidSetting {
                field: "region",
                message: format!(
                    "cannot tell the signing region from base_url `{base_url}`; set `region`"
                ),
            })?,
            (None, None) => {
                return Err(BuildError::InvalidSetting {
                    field: "region",
                    message: "required unless base_url is given".to_owned(),
                });
            }
        };

        let base_url = config
            .base_url
            .clone()
            .unwrap_or_else(|| default_base_url(&region));
        check_url(&base_url)?;
        Ok(Settings {
            base_url: base_url.trim_end_matches('/').to_owned(),
            region,
            auth: auth(config),
        })
    }
}

fn default_base_url(region: &str) -> String {
    format!("https://bedrock-runtime.{region}.amazonaws.com")
}

fn check_url(base_url: &str) -> Result<(), BuildError> {
    let invalid = |message: String| BuildError::InvalidSetting {
        field: "base_url",
        message,
    };
    let uri: Uri = base_url
        .parse()
        .map_err(|error: http::uri::InvalidUri| invalid(error.to_string()))?;
    if uri.host().is_none() {
        return Err(invalid(format!("`{base_url}` is not an absolute URL")));
    }
    Ok(())
}

/// The region in a Bedrock Runtime host: the label after `bedrock-runtime` (or
/// `bedrock-runtime-fips`), as in `bedrock-runtime.eu-west-1.amazonaws.com` and VPC endpoints
/// such as `vpce-1a2b.bedrock-runtime.us-east-1.vpce.amazonaws.com`.
fn region_of(base_url: &str) -> Option<String> {
    let uri: Uri = base_url.parse().ok()?;
    let labels: Vec<&str> = uri.host()?.split('.').collect();
    let service = labels
        .iter()
        .position(|label| *label == "bedrock-runtime" || *label == "bedrock-runtime-fips")?;
    labels
        .get(service + 1)
        .filter(|region| !region.is_empty())
        .map(|region| (*region).to_owned())
}

fn auth(config: &ProviderConfig) -> AuthSettings {
    if let Some(key) = config.api_key.as_deref().filter(|key| !key.is_empty()) {
        return AuthSettings::ApiKey(key.to_owned());
    }

    let key_id = aws_param(config, "aws_access_key_id");
    let secret = aws_param(config, "aws_secret_access_key");
    match (key_id, secret) {
        (Some(access_key_id), Some(secret_access_key)) => AuthSettings::StaticKeys {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            session_token: aws_param(config, "aws_session_token").map(str::to_owned),
        },
        _ => AuthSettings::CredentialChain,
    }
}

/// A credential in the lower-case spelling, or the original Hub's upper-case one.
fn aws_param<'a>(config: &'a ProviderConfig, lower: &str) -> Option<&'a str> {
    param(config, lower).or_else(|| param(config, &lower.to_ascii_uppercase()))
}

/// A setting, treating an empty string as absent as validation does.
fn param<'a>(config: &'a ProviderConfig, name: &str) -> Option<&'a str> {
    config.param_str(name).filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use hub_core::config::ProviderConfig;
    use serde_json::json;

    use super::*;

    fn config(value: serde_json::Value) -> ProviderConfig {
        let mut base = json!({"key": "aws", "type": "bedrock"});
        base.as_object_mut()
            .unwrap()
            .extend(value.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn region_alone_gives_the_public_endpoint_and_the_chain() {
        let settings = Settings::from_config(&config(json!({"region": "eu-west-3"}))).unwrap();
        assert_eq!(
            settings.base_url,
            "https://bedrock-runtime.eu-west-3.amazonaws.com"
        );
        assert_eq!(settings.region, "eu-west-3");
        assert_eq!(settings.auth, AuthSettings::CredentialChain);
    }

    #[test]
    fn the_region_is_read_from_a_bedrock_host() {
        let cases = [
            (
                "https://bedrock-runtime.us-west-2.amazonaws.com/",
                "us-west-2",
            ),
            (
                "https://vpce-0a1b.bedrock-runtime.ap-south-1.vpce.amazonaws.com",
                "ap-south-1",
            ),
            (
                "https://bedrock-runtime-fips.us-east-1.amazonaws.com",
                "us-east-1",
            ),
        ];
        for (base_url, region) in cases {
            let settings = Settings::from_config(&config(json!({"base_url": base_url}))).unwrap();
            assert_eq!(settings.region, region, "{base_url}");
            assert!(!settings.base_url.ends_with('/'));
        }
    }

    #[test]
    fn a_base_url_that_hides_the_region_needs_region() {
        let error =
            Settings::from_config(&config(json!({"base_url": "http://127.0.0.1:9"}))).unwrap_err();
        assert!(
            error.to_string().starts_with("region: cannot tell"),
            "{error}"
        );
    }

    #[test]
    fn static_keys_are_read_in_either_spelling() {
        let settings = Settings::from_config(&config(json!({
            "region": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKID",
            "aws_secret_access_key": "secret",
            "AWS_SESSION_TOKEN": "token"
        })))
        .unwrap();
        assert_eq!(
            settings.auth,
            AuthSettings::StaticKeys {
                access_key_id: "AKID".to_owned(),
                secret_access_key: "secret".to_owned(),
                session_token: Some("token".to_owned()),
            }
        );
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let settings = Settings::from_config(&config(json!({
            "region": "us-east-1",
            "aws_access_key_id": "AKID",
            "aws_secret_access_key": "very-secret",
            "aws_session_token": "session-secret"
        })))
        .unwrap();
        let text = format!("{settings:?}");
        assert!(
            !text.contains("very-secret") && !text.contains("session-secret"),
            "{text}"
        );

        let key = Settings::from_config(&config(json!({"region": "r", "api_key": "bedrock-key"})))
            .unwrap();
        assert!(!format!("{key:?}").contains("bedrock-key"));
    }
}
