//! Routing and auth: the token endpoint at `/token`, and the model methods at
//! `/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:{method}`.

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use serde_json::{Map, Value, json};

use super::VertexMockConfig;
use super::error::GoogleError;
use super::generate::Generate;
use super::oauth::Tokens;
use super::{predict, reply};
use crate::body::{self, MockBody};
use crate::config::Fault;
use crate::server::{Api, BodyError, Exchange, MAX_BODY_BYTES};

/// The emulated Vertex AI API and its token endpoint.
#[derive(Debug)]
pub(super) struct VertexApi {
    config: VertexMockConfig,
    tokens: Tokens,
}

impl VertexApi {
    pub(super) fn new(config: VertexMockConfig) -> Self {
        let tokens = Tokens::new(config.token_lifetime);
        Self { config, tokens }
    }
}

impl Api for VertexApi {
    type Fault = Fault;

    fn answer(
        &self,
        parts: &Parts,
        body: Result<Bytes, BodyError>,
        exchange: &Exchange,
    ) -> Response<MockBody> {
        if is_token_endpoint(parts) {
            let body = body.unwrap_or_default();
            return self.tokens.grant(parts, &body);
        }
        self.route(parts, body, exchange)
            .unwrap_or_else(GoogleError::into_response)
    }

    fn ignores_faults(&self, parts: &Parts, _: &Result<Bytes, BodyError>) -> bool {
        is_token_endpoint(parts)
    }
}

fn is_token_endpoint(parts: &Parts) -> bool {
    parts.uri.path() == "/token"
}

/// A model method's address.
#[derive(Debug, PartialEq, Eq)]
struct Target<'a> {
    project: &'a str,
    location: &'a str,
    model: &'a str,
    method: &'a str,
}

impl VertexApi {
    /// Checks in Google's order: the URL, the credentials, the resource, then the body.
    fn route(
        &self,
        parts: &Parts,
        body: Result<Bytes, BodyError>,
        exchange: &Exchange,
    ) -> Result<Response<MockBody>, GoogleError> {
        let path = parts.uri.path();
        let target = parse_path(path)
            .filter(|_| parts.method == Method::POST)
            .ok_or_else(|| GoogleError::not_found(format!("The URL {path} was not found.")))?;
        self.check_auth(parts)?;
        self.check_resource(&target)?;

        let body = json_body(parts, body)?;
        let embedding = target.model.contains("embedding");
        let envelope = reply::Envelope {
            model: target.model.to_owned(),
            response_id: format!("mock{:06}", exchange.serial),
            create_time: rfc3339(exchange.created),
        };
        match (target.method, embedding) {
            ("predict", true) => Ok(body::json(StatusCode::OK, &predict::respond(&body)?)),
            ("generateContent", false) => {
                let request = Generate::parse(&body)?;
                let answer = reply::answer(&request);
                Ok(body::json(
                    StatusCode::OK,
                    &reply::whole(&request, &answer, &envelope),
                ))
            }
            ("streamGenerateContent", false) => {
                let request = Generate::parse(&body)?;
                let answer = reply::answer(&request);
                let events = reply::events(&request, &answer, &envelope);
                Ok(stream(parts.uri.query(), events, exchange))
            }
            (method, _) => Err(GoogleError::invalid_argument(format!(
                "Model {} does not support the {method} method.",
                target.model
            ))),
        }
    }

    /// An access token this endpoint issued and that has not expired, or the API key.
    fn check_auth(&self, parts: &Parts) -> Result<(), GoogleError> {
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
        };
        let quoted = |message: &str, credential: &str| {
            if self.config.echo_credentials {
                format!("{message} Presented: {credential}")
            } else {
                message.to_owned()
            }
        };
        if let Some(key) = header("x-goog-api-key") {
            return match &self.config.api_key {
                Some(expected) if key == expected => Ok(()),
                _ => Err(GoogleError::invalid_argument(quoted(
                    "API key not valid. Please pass a valid API key.",
                    key,
                ))),
            };
        }

        let Some(authorization) = header(AUTHORIZATION.as_str()) else {
            return Err(GoogleError::unauthenticated(
                "Request is missing required authentication credential. Expected OAuth 2 access \
                 token, login cookie or other valid authentication credential.",
            ));
        };
        let token = authorization.strip_prefix("Bearer ").unwrap_or_default();
        if self.tokens.is_valid(token) {
            Ok(())
        } else {
            Err(GoogleError::unauthenticated(quoted(
                "Request had invalid authentication credentials. Expected OAuth 2 access token, \
                 login cookie or other valid authentication credential.",
                token,
            )))
        }
    }

    fn check_resource(&self, target: &Target<'_>) -> Result<(), GoogleError> {
        let resource = format!(
            "projects/{}/locations/{}/publishers/google/models/{}",
            target.project, target.location, target.model
        );
        let ours =
            target.project == self.config.project_id && target.location == self.config.location;
        if !ours {
            return Err(GoogleError::permission_denied(format!(
                "Permission 'aiplatform.endpoints.predict' denied on resource \
                 '//aiplatform.googleapis.com/{resource}' (or it may not exist)."
            )));
        }
        if !self.config.models.iter().any(|model| model == target.model) {
            return Err(GoogleError::not_found(format!(
                "Publisher Model `{resource}` was not found or your project does not have \
                 access to it."
            )));
        }
        Ok(())
    }
}

fn parse_path(path: &str) -> Option<Target<'_>> {
    let rest = path.strip_prefix("/v1/projects/")?;
    let (project, rest) = rest.split_once("/locations/")?;
    let (location, rest) = rest.split_once("/publishers/google/models/")?;
    let (model, method) = rest.split_once(':')?;
    let segments_ok = [project, location, model]
        .iter()
        .all(|segment| !segment.is_empty() && !segment.contains('/'));
    segments_ok.then_some(Target {
        project,
        location,
        model,
        method,
    })
}

/// The JSON object a POST carries.
fn json_body(
    parts: &Parts,
    body: Result<Bytes, BodyError>,
) -> Result<Map<String, Value>, GoogleError> {
    let body = body.map_err(|error| match error {
        BodyError::TooLarge => GoogleError::invalid_argument(format!(
            "Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes."
        )),
        BodyError::Unreadable => GoogleError::invalid_argument("The request body was cut off."),
    })?;
    let is_json = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !is_json {
        return Err(GoogleError::invalid_argument(
            "Invalid JSON payload received. The request must be sent as application/json.",
        ));
    }

    match serde_json::from_slice(&body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(GoogleError::invalid_argument(
            "Invalid JSON payload received. Expected an object.",
        )),
    }
}

/// A stream as `alt=sse` frames it (events, then EOF, no closing event), or without it as
/// one JSON array.
fn stream(query: Option<&str>, events: Vec<Value>, exchange: &Exchange) -> Response<MockBody> {
    let sse = query.is_some_and(|query| query.split('&').any(|pair| pair == "alt=sse"));
    if sse {
        body::events_body(events.iter().map(body::event).collect(), &exchange.stream)
    } else {
        body::json(StatusCode::OK, &json!(events))
    }
}

/// Unix seconds as RFC 3339, as Vertex writes `createTime`.
fn rfc3339(unix: u64) -> String {
    let days = unix / 86_400;
    let seconds = unix % 86_400;
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000000Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// The calendar date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_paths_are_parsed() {
        assert_eq!(
            parse_path("/v1/projects/p/locations/global/publishers/google/models/m:predict"),
            Some(Target {
                project: "p",
                location: "global",
                model: "m",
                method: "predict"
            })
        );
        assert_eq!(parse_path("/v1/publishers/google/models/m:predict"), None);
        assert_eq!(
            parse_path("/v1/projects/p/locations/l/publishers/google/models/m"),
            None
        );
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20.000000Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00.000000Z");
    }
}
