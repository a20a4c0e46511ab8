//! What the mock keeps of each request it receives, for tests to inspect.

use bytes::Bytes;
use http::request::Parts;
use serde_json::Value;

/// One request as it arrived, before any validation.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target including the query, such as `/v1/models?limit=2`.
    pub path: String,
    /// Every header in arrival order, names in lower case, values decoded lossily as UTF-8.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON (fields the mock does not know included), or `Null` when the
    /// body is empty or not JSON.
    pub body: Value,
}

impl RecordedRequest {
    pub(crate) fn new(parts: &Parts, body: &Bytes) -> Self {
        let path = parts.uri.path_and_query().map_or_else(
            || parts.uri.path().to_owned(),
            |target| target.as_str().to_owned(),
        );

        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();

        Self {
            method: parts.method.as_str().to_owned(),
            path,
            headers,
            body: serde_json::from_slice(body).unwrap_or(Value::Null),
        }
    }

    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}
