//! Routing, auth and the checks Azure makes before the OpenAI emulator's own.

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::request::Parts;
use http::{HeaderMap, Method, Response, StatusCode};
use serde_json::{Map, Value, json};

use super::{AZURE_API_VERSIONS, AzureMockConfig, CONTENT_FILTER_TRIGGER, filters};
use crate::body::{self, MockBody};
use crate::config::{Fault, MockConfig};
use crate::error::ApiError;
use crate::server::{Api, BodyError, Exchange};
use crate::validate::invalid_value;
use crate::{chat, completions, embeddings, validate};

/// The first API version that knows the `developer` role.
const DEVELOPER_ROLE_SINCE: &str = "2024-12-01-preview";

/// Roles of the GA API versions, in the order their refusal lists them.
const GA_ROLES: [&str; 5] = ["system", "assistant", "user", "function", "tool"];

/// The emulated Azure OpenAI resource.
#[derive(Debug)]
pub(super) struct AzureApi {
    config: AzureMockConfig,
    /// The OpenAI emulator's view: the deployments' models, no key of its own.
    openai: MockConfig,
}

impl AzureApi {
    pub(super) fn new(config: AzureMockConfig) -> Self {
        let models = config
            .deployments
            .iter()
            .map(|(_, model)| model.clone())
            .collect();
        let openai = MockConfig {
            models,
            ..MockConfig::default()
        };
        Self { config, openai }
    }
}

impl Api for AzureApi {
    type Fault = Fault;

    fn answer(
        &self,
        parts: &Parts,
        body: Result<Bytes, BodyError>,
        exchange: &Exchange,
    ) -> Response<MockBody> {
        match self.route(parts, body, exchange) {
            Ok(response) => response,
            Err(Refusal::Azure(status, body)) => body::json(status, &body),
            Err(Refusal::OpenAi(error)) => error.into_response(),
        }
    }
}

/// Azure answers its own refusals in its own shape, and the body checks in OpenAI's.
enum Refusal {
    Azure(StatusCode, Value),
    OpenAi(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal::OpenAi(error)
    }
}

/// The three operations a deployment serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Chat,
    Completions,
    Embeddings,
}

impl AzureApi {
    /// Checks in Azure's order: route and API version, key, method, deployment, body.
    fn route(
        &self,
        parts: &Parts,
        body: Result<Bytes, BodyError>,
        exchange: &Exchange,
    ) -> Result<Response<MockBody>, Refusal> {
        let (deployment, operation) = parse_path(parts.uri.path()).ok_or_else(not_found)?;
        let version = api_version(parts.uri.query()).ok_or_else(not_found)?;
        self.check_auth(&parts.headers)?;
        if parts.method != Method::POST {
            let error = ApiError::method_not_allowed(&parts.method, parts.uri.path());
            return Err(error.into());
        }
        let model = self.model_of(deployment)?;

        let body = body.map_err(ApiError::unreadable_body)?;
        let mut body = validate::json_object(&parts.headers, &body)?;
        // The deployment decides the model, whatever the body names.
        body.insert("model".to_owned(), Value::String(model.to_owned()));
        self.serve(operation, version, &body, exchange)
    }

    fn serve(
        &self,
        operation: Operation,
        version: &str,
        body: &Map<String, Value>,
        exchange: &Exchange,
    ) -> Result<Response<MockBody>, Refusal> {
        match operation {
            Operation::Chat => {
                check_roles(body, version)?;
                check_filter(body.get("messages"))?;
                let rendered = chat::render(&self.openai, body, exchange)?;
                Ok(filters::annotate_chat(rendered).into_response(&exchange.stream))
            }
            Operation::Completions => {
                check_filter(body.get("prompt"))?;
                let rendered = completions::render(&self.openai, body, exchange)?;
                Ok(filters::annotate_completion(rendered).into_response(&exchange.stream))
            }
            Operation::Embeddings => Ok(embeddings::respond(&self.openai, body)?),
        }
    }

    /// An `api-key` header, or an Entra ID bearer token when one is configured.
    fn check_auth(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let header = |name| headers.get(name).and_then(|value| value.to_str().ok());

        let key_ok = header("api-key").is_some_and(|key| match &self.config.api_key {
            Some(expected) => key == expected,
            None => !key.trim().is_empty(),
        });
        let bearer = header(AUTHORIZATION.as_str()).and_then(|value| value.strip_prefix("Bearer "));
        let token_ok = bearer.is_some_and(|token| self.config.ad_token.as_deref() == Some(token));

        if key_ok || token_ok {
            return Ok(());
        }
        let mut message = "Access denied due to invalid subscription key or wrong API \
                           endpoint. Make sure to provide a valid key for an active \
                           subscription and use a correct regional API endpoint for your \
                           resource."
            .to_owned();
        if self.config.echo_credentials {
            let presented = header("api-key").or(bearer).unwrap_or_default();
            message.push_str(&format!(" Presented: {presented}"));
        }
        Err(azure_error(StatusCode::UNAUTHORIZED, "401", &message))
    }

    fn model_of(&self, deployment: &str) -> Result<&str, Refusal> {
        let found = self
            .config
            .deployments
            .iter()
            .find(|(name, _)| name == deployment);
        found.map(|(_, model)| model.as_str()).ok_or_else(|| {
            azure_error(
                StatusCode::NOT_FOUND,
                "DeploymentNotFound",
                "The API deployment for this resource does not exist. If you created the \
                 deployment within the last 5 minutes, please wait a moment and try again.",
            )
        })
    }
}

fn parse_path(path: &str) -> Option<(&str, Operation)> {
    let (deployment, operation) = path.strip_prefix("/openai/deployments/")?.split_once('/')?;
    let operation = match operation {
        "chat/completions" => Operation::Chat,
        "completions" => Operation::Completions,
        "embeddings" => Operation::Embeddings,
        _ => return None,
    };
    (!deployment.is_empty()).then_some((deployment, operation))
}

/// The `api-version` query parameter, when it names a version the emulator knows.
fn api_version(query: Option<&str>) -> Option<&str> {
    let version = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("api-version="))?;
    AZURE_API_VERSIONS.contains(&version).then_some(version)
}

/// API versions before the `developer` role refuse it as an unknown role.
fn check_roles(body: &Map<String, Value>, version: &str) -> Result<(), ApiError> {
    if version >= DEVELOPER_ROLE_SINCE {
        return Ok(());
    }
    let messages = body.get("messages").and_then(Value::as_array);
    for (index, message) in messages.into_iter().flatten().enumerate() {
        if message.get("role") == Some(&json!("developer")) {
            let param = format!("messages[{index}].role");
            return Err(invalid_value(&param, "developer", &GA_ROLES));
        }
    }
    Ok(())
}

/// The emulated content filter: a prompt holding [`CONTENT_FILTER_TRIGGER`] is refused.
fn check_filter(prompt: Option<&Value>) -> Result<(), Refusal> {
    let text = prompt.map(Value::to_string).unwrap_or_default();
    if !text.contains(CONTENT_FILTER_TRIGGER) {
        return Ok(());
    }

    let body = json!({"error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's \
                    content management policy. Please modify your prompt and retry. To learn \
                    more about our content filtering policies please read our documentation: \
                    https://go.microsoft.com/fwlink/?linkid=2198766",
        "type": null,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": filters::prompt_results(true),
        },
    }});
    Err(Refusal::Azure(StatusCode::BAD_REQUEST, body))
}

/// Azure's answer to a path or API version it does not know.
fn not_found() -> Refusal {
    azure_error(StatusCode::NOT_FOUND, "404", "Resource not found")
}

fn azure_error(status: StatusCode, code: &str, message: &str) -> Refusal {
    Refusal::Azure(status, json!({"error": {"code": code, "message": message}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_a_deployment_and_an_operation() {
        assert_eq!(
            parse_path("/openai/deployments/gpt-4o/chat/completions"),
            Some(("gpt-4o", Operation::Chat))
        );
        assert_eq!(
            parse_path("/openai/deployments/e/embeddings"),
            Some(("e", Operation::Embeddings))
        );
        assert_eq!(parse_path("/openai/deployments//completions"), None);
        assert_eq!(parse_path("/openai/deployments/gpt-4o/models"), None);
        assert_eq!(parse_path("/v1/chat/completions"), None);
    }

    #[test]
    fn only_known_api_versions_are_served() {
        assert_eq!(
            api_version(Some("x=1&api-version=2024-10-21")),
            Some("2024-10-21")
        );
        assert_eq!(api_version(Some("api-version=2023-01-01")), None);
        assert_eq!(api_version(None), None);
    }

    #[test]
    fn the_developer_role_needs_a_recent_api_version() {
        let body = json!({"messages": [{"role": "user", "content": "a"},
                                       {"role": "developer", "content": "b"}]});
        let body = body.as_object().unwrap();

        let refused = check_roles(body, "2024-10-21").unwrap_err();
        assert_eq!(refused.param(), Some("messages[1].role"));
        assert!(check_roles(body, "2025-01-01-preview").is_ok());
    }
}
