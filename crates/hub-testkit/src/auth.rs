//! The bearer-key check every endpoint makes before looking at the request.

use http::header::AUTHORIZATION;
use http::{HeaderMap, StatusCode};

use crate::error::ApiError;

/// Accepts `Authorization: Bearer <key>` when `expected` is `None` and the key is non-empty,
/// or when it equals `expected`. A refused key is quoted as the real API quotes it, or whole
/// when `echo` is set.
pub(crate) fn check(
    headers: &HeaderMap,
    expected: Option<&str>,
    echo: bool,
) -> Result<(), ApiError> {
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
        .filter(|key| !key.is_empty());

    let Some(key) = presented else {
        return Err(unauthorized(
            "You didn't provide an API key. You need to provide your API key in an \
             Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                .to_owned(),
        ));
    };

    match expected {
        Some(expected) if key != expected => {
            let shown = if echo { key.to_owned() } else { redact(key) };
            Err(unauthorized(format!(
                "Incorrect API key provided: {shown}. You can find your API key in your \
                 account settings."
            )))
        }
        _ => Ok(()),
    }
}

fn unauthorized(message: String) -> ApiError {
    ApiError::invalid_request(message)
        .with_status(StatusCode::UNAUTHORIZED)
        .with_code("invalid_api_key")
}

/// The key as the real API echoes it: a few characters at each end, never the whole secret.
fn redact(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_the_middle_of_the_key() {
        assert_eq!(redact("sk-abcdefghijkl"), "sk-********ijkl");
        assert_eq!(redact("short"), "*****");
    }
}
