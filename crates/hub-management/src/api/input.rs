//! Reading what a request brings: its JSON body, bounded in size and decoded with the path
//! of any wrong field, its paging parameters, and its `If-Match`.

use bytes::Bytes;
use http::{HeaderMap, header};
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::error::ApiError;
use super::storable::{HOLDS_NUL, refuse_unstorable};
use crate::fault::Fault;
use crate::service::{PageRequest, Precondition};

/// The largest body the API reads: a resource is a few kilobytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Reads the whole body, refusing one larger than [`MAX_BODY_BYTES`] before reading it
/// when its length is declared, and as soon as it passes the limit otherwise.
pub(crate) async fn read_body<B>(headers: &HeaderMap, body: B) -> Result<Bytes, ApiError>
where
    B: Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let too_large = ApiError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(too_large);
    }

    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => Err(too_large),
        Err(error) => Err(ApiError::BadRequest {
            field: "body".to_owned(),
            message: format!("could not be read: {error}"),
        }),
    }
}

/// Decodes a body into `T`. Text that is not JSON is a 400; JSON of the wrong shape (an
/// unknown field, a wrong type, a missing field) a 422 naming the field.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::MalformedJson(
            "the body is empty; send a JSON object".to_owned(),
        ));
    }

    let mut reader = serde_json::Deserializer::from_slice(body);
    let decoded: T = serde_path_to_error::deserialize(&mut reader).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            Category::Data => {
                let message = without_position(&inner);
                let field = shape_fault_field(&path, &message);
                ApiError::Unprocessable {
                    faults: vec![Fault::field(field, message)],
                }
            }
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::MalformedJson(inner.to_string())
            }
        }
    })?;
    reader
        .end()
        .map_err(|error| ApiError::MalformedJson(error.to_string()))?;
    refuse_unstorable(body)?;
    Ok(decoded)
}

/// The field a shape fault concerns. serde reports a missing field at the object that lacks
/// it; the field itself is the one to name.
fn shape_fault_field(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'));
    match (missing, parent) {
        (Some(name), "") => name.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, parent) => parent.to_owned(),
    }
}

/// serde_json ends a message with where in the text the fault is; the field path says it
/// better for a shape fault.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(end) => message[..end].to_owned(),
        None => message,
    }
}

/// `?limit=N&after=NAME`.
pub(crate) fn page_request(query: Option<&str>) -> Result<PageRequest, ApiError> {
    let mut page = PageRequest::default();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value).ok_or_else(|| bad(name, "is not valid UTF-8"))?;
        match name {
            "limit" => {
                let limit = value
                    .parse::<i64>()
                    .ok()
                    .filter(|limit| *limit > 0)
                    .ok_or_else(|| bad("limit", "must be a whole number greater than 0"))?;
                page.limit = Some(limit);
            }
            "after" if value.contains('\0') => return Err(bad("after", HOLDS_NUL)),
            "after" => page.after = Some(value),
            other => {
                return Err(bad(other, "unknown parameter; expected `limit` or `after`"));
            }
        }
    }
    Ok(page)
}

fn bad(field: &str, message: &str) -> ApiError {
    ApiError::BadRequest {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

/// The versions `If-Match` accepts: `*` for any, else each ETag listed (`"3"`, `W/"3"`).
pub(crate) fn precondition(headers: &HeaderMap) -> Result<Precondition, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(Precondition::default());
    };
    let invalid = || {
        bad(
            "If-Match",
            "must be `*` or ETags of this resource, such as \"3\"",
        )
    };
    let text = value.to_str().map_err(|_| invalid())?.trim();
    if text == "*" {
        return Ok(Precondition {
            if_match: Some(Vec::new()),
            version: None,
        });
    }

    let versions = text
        .split(',')
        .map(|tag| {
            let tag = tag.trim();
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag.strip_prefix('"')
                .and_then(|tag| tag.strip_suffix('"'))
                .and_then(|version| version.parse::<i64>().ok())
                .ok_or_else(invalid)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Precondition {
        if_match: Some(versions),
        version: None,
    })
}

/// The ETag of a resource at `version`.
pub(crate) fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// `%XX` escapes and `+` for a space, as forms and browsers write queries.
fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        match first {
            b'%' if tail.len() >= 2 => {
                let hex = std::str::from_utf8(&tail[..2]).ok()?;
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
                rest = &tail[2..];
            }
            b'+' => {
                bytes.push(b' ');
                rest = tail;
            }
            other => {
                bytes.push(other);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).ok()
}

/// Escapes all but unreserved characters, for a value in a query.
pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests;
