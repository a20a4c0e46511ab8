//! OpenAI's API: `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings` and `/v1/models`,
//! behind a bearer key.

use bytes::Bytes;
use http::request::Parts;
use http::{Method, Response};

use crate::body::MockBody;
use crate::config::{Fault, MockConfig};
use crate::error::ApiError;
use crate::server::{Api, BodyError, Exchange};
use crate::{auth, chat, completions, embeddings, models, validate};

/// The emulated OpenAI API.
#[derive(Debug)]
pub(crate) struct OpenAiApi {
    pub(crate) config: MockConfig,
}

impl Api for OpenAiApi {
    type Fault = Fault;

    fn answer(
        &self,
        parts: &Parts,
        body: Result<Bytes, BodyError>,
        exchange: &Exchange,
    ) -> Response<MockBody> {
        route(&self.config, parts, body, exchange).unwrap_or_else(ApiError::into_response)
    }
}

/// The endpoints the mock serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint<'a> {
    ChatCompletions,
    Completions,
    Embeddings,
    Models,
    Model(&'a str),
}

impl<'a> Endpoint<'a> {
    fn parse(path: &'a str) -> Option<Self> {
        match path {
            "/v1/chat/completions" => Some(Self::ChatCompletions),
            "/v1/completions" => Some(Self::Completions),
            "/v1/embeddings" => Some(Self::Embeddings),
            "/v1/models" => Some(Self::Models),
            _ => path
                .strip_prefix("/v1/models/")
                .filter(|id| !id.is_empty())
                .map(Self::Model),
        }
    }

    fn method(self) -> Method {
        match self {
            Self::Models | Self::Model(_) => Method::GET,
            Self::ChatCompletions | Self::Completions | Self::Embeddings => Method::POST,
        }
    }
}

/// Checks run in the real API's order: route, method, key, body, then the endpoint's own.
fn route(
    config: &MockConfig,
    parts: &Parts,
    body: Result<Bytes, BodyError>,
    exchange: &Exchange,
) -> Result<Response<MockBody>, ApiError> {
    let body = body.map_err(ApiError::unreadable_body)?;
    let path = parts.uri.path();
    let endpoint =
        Endpoint::parse(path).ok_or_else(|| ApiError::unknown_url(&parts.method, path))?;
    if parts.method != endpoint.method() {
        return Err(ApiError::method_not_allowed(&parts.method, path));
    }
    auth::check(
        &parts.headers,
        config.api_key.as_deref(),
        config.echo_credentials,
    )?;

    match endpoint {
        Endpoint::Models => Ok(models::list(config)),
        Endpoint::Model(id) => models::retrieve(config, id),
        Endpoint::ChatCompletions => {
            let body = validate::json_object(&parts.headers, &body)?;
            chat::respond(config, &body, exchange)
        }
        Endpoint::Completions => {
            let body = validate::json_object(&parts.headers, &body)?;
            completions::respond(config, &body, exchange)
        }
        Endpoint::Embeddings => {
            let body = validate::json_object(&parts.headers, &body)?;
            embeddings::respond(config, &body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_endpoints() {
        assert_eq!(
            Endpoint::parse("/v1/chat/completions"),
            Some(Endpoint::ChatCompletions)
        );
        assert_eq!(
            Endpoint::parse("/v1/models/gpt-4o"),
            Some(Endpoint::Model("gpt-4o"))
        );
        assert_eq!(Endpoint::parse("/v1/models/"), None);
        assert_eq!(Endpoint::parse("/v1/chat/completions/"), None);
        assert_eq!(Endpoint::parse("/chat/completions"), None);
    }
}
