//! Reading a client's request: content type, size limit, and JSON into Hub's types.

use bytes::Bytes;
use http::{HeaderMap, header};
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;

use crate::error::GatewayError;

/// Reads a JSON body of at most `limit` bytes.
pub(crate) async fn read_json_body<B>(
    headers: &HeaderMap,
    body: B,
    limit: u64,
) -> Result<Bytes, GatewayError>
where
    B: Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    if !is_json(headers) {
        return Err(GatewayError::UnsupportedMediaType);
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(GatewayError::PayloadTooLarge { limit });
    }

    let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
    match Limited::new(body, limit_usize).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => {
            Err(GatewayError::PayloadTooLarge { limit })
        }
        Err(error) => Err(GatewayError::BodyRead(error.to_string())),
    }
}

/// Decodes a request body, naming the missing or malformed field where serde can tell.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, GatewayError> {
    serde_json::from_slice(body).map_err(|error| {
        let message = error.to_string();
        let param = missing_field(&message).map(str::to_owned);
        let message = if error.is_syntax() || error.is_eof() {
            format!("We could not parse the JSON body of your request: {message}")
        } else {
            format!("Invalid request body: {message}")
        };
        GatewayError::BadRequest {
            message,
            param,
            code: None,
        }
    })
}

/// `application/json`, with or without parameters such as `charset`.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// The field of serde's "missing field `model` at line 1 column 2".
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use hub_core::chat::ChatCompletionRequest;

    use super::*;

    #[test]
    fn missing_fields_are_named_as_the_param() {
        let error = decode::<ChatCompletionRequest>(br#"{"model":"m"}"#).unwrap_err();
        let GatewayError::BadRequest { param, .. } = error else {
            panic!("{error:?}")
        };
        assert_eq!(param.as_deref(), Some("messages"));
    }

    #[test]
    fn json_content_types_may_carry_a_charset() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(is_json(&headers));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!is_json(&headers));
    }
}
