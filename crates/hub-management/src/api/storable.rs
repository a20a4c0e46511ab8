//! What PostgreSQL cannot keep, refused as the client's fault before a write reaches it:
//! left to the database, it would fail the write as a server error.
//!
//! That is the NUL character, in `text` or `jsonb`. A raw NUL byte is not valid JSON, so it
//! can only arrive as the escape `\u0000`. Numbers need no check: `jsonb` hands them back as
//! exact decimals without an exponent, which serde_json (with `float_roundtrip`, set for the
//! workspace) reads back as the same 64-bit float even next to its limit.

use serde_json::Value;

use super::error::ApiError;
use crate::fault::Fault;

pub(crate) const HOLDS_NUL: &str = "must not contain the NUL character (\\u0000)";

/// Refuses a JSON body holding a value the database cannot keep, naming where it is.
pub(crate) fn refuse_unstorable(body: &[u8]) -> Result<(), ApiError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| ApiError::MalformedJson(error.to_string()))?;
    match unstorable(&value, String::new()) {
        None => Ok(()),
        Some((field, message)) => Err(ApiError::Unprocessable {
            faults: vec![Fault::field(field, message)],
        }),
    }
}

/// The path of the first value in `value` that cannot be kept, and why.
pub(crate) fn unstorable(value: &Value, path: String) -> Option<(String, &'static str)> {
    match value {
        Value::String(text) => text.contains('\0').then_some((path, HOLDS_NUL)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| unstorable(item, format!("{path}[{index}]"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                return Some((path.clone(), HOLDS_NUL));
            }
            let field = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            unstorable(item, field)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_nul_character_is_found_where_it_is() {
        let value = json!({"a": [{"b": "x\u{0}"}]});
        assert_eq!(
            unstorable(&value, String::new()),
            Some(("a[0].b".to_owned(), HOLDS_NUL))
        );
        let in_a_key = json!({"a": {"x\u{0}": 1}});
        assert_eq!(
            unstorable(&in_a_key, String::new()),
            Some(("a".to_owned(), HOLDS_NUL))
        );
    }
}
