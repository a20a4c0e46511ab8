//! What PostgreSQL cannot keep, refused as the client's fault before a write reaches it:
//! left to the database, each would fail the write, or the reads after it, as a server error.
//!
//! - The NUL character, in `text` or `jsonb`. A raw NUL byte is not valid JSON, so it can
//!   only arrive as the escape `\u0000`.
//! - A number `jsonb` would hand back as digits that no longer read as a 64-bit float:
//!   `jsonb` keeps the decimal exactly and writes it without an exponent, and near the
//!   float's limit those digits read back out of range.

use serde_json::{Number, Value};

use super::error::ApiError;
use crate::fault::Fault;

pub(crate) const HOLDS_NUL: &str = "must not contain the NUL character (\\u0000)";
const OUT_OF_RANGE: &str = "is a number too large for the database to give back as it was sent";

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
        Value::Number(number) => (!survives_numeric(number)).then_some((path, OUT_OF_RANGE)),
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
        Value::Null | Value::Bool(_) => None,
    }
}

/// Whether `number`, written out in full as `jsonb` writes it, reads back as a number.
/// Only large exponents change the text: small ones read back as zero at worst.
fn survives_numeric(number: &Number) -> bool {
    let text = number.to_string();
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return true;
    };
    let Ok(exponent) = exponent.trim_start_matches('+').parse::<usize>() else {
        return true;
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let Some(zeros) = exponent.checked_sub(fraction.len()) else {
        return true;
    };

    let expanded = format!("{whole}{fraction}{}", "0".repeat(zeros));
    serde_json::from_str::<Value>(&expanded).is_ok()
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

    #[test]
    fn numbers_near_the_float_limit_are_refused() {
        let value: Value =
            serde_json::from_str(r#"{"config": {"x": -1.7976931348623155e308}}"#).expect("JSON");
        assert_eq!(
            unstorable(&value, String::new()),
            Some(("config.x".to_owned(), OUT_OF_RANGE))
        );
    }

    #[test]
    fn ordinary_numbers_are_kept() {
        let value = json!([
            1,
            -617_165_639_225_113_728_i64,
            0.5,
            2.5e16,
            5e-324,
            8.9e167,
            1e300
        ]);
        assert_eq!(unstorable(&value, String::new()), None);
    }
}
