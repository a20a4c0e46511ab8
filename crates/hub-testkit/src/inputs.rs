//! The `string | string[] | int[] | int[][]` union that `prompt` and `input` share.

use serde_json::Value;

use crate::error::ApiError;
use crate::tokens;
use crate::validate::{empty_array, invalid_type};

const EXPECTED: &str = "a string, an array of strings, an array of integers, or an array of \
                        arrays of integers";

/// One prompt or embedding input. Token-id inputs become their ids joined by spaces, so they
/// count one token per id and still yield deterministic text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextInput {
    pub(crate) text: String,
    pub(crate) tokens: usize,
    /// Whether the caller sent token ids rather than text.
    pub(crate) from_ids: bool,
}

impl TextInput {
    fn from_text(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            tokens: tokens::count(text),
            from_ids: false,
        }
    }

    fn from_ids(ids: &[i64]) -> Self {
        let text: Vec<String> = ids.iter().map(i64::to_string).collect();
        Self {
            text: text.join(" "),
            tokens: ids.len(),
            from_ids: true,
        }
    }
}

/// Parses the union found at `param` into one [`TextInput`] per prompt or input.
pub(crate) fn parse(value: &Value, param: &str) -> Result<Vec<TextInput>, ApiError> {
    let items = match value {
        Value::String(text) => return Ok(vec![TextInput::from_text(text)]),
        Value::Array(items) => items,
        other => return Err(invalid_type(param, EXPECTED, other)),
    };

    match items.first() {
        None => Err(empty_array(param)),
        Some(Value::String(_)) => {
            each(items, param, |item| item.as_str().map(TextInput::from_text))
        }
        Some(Value::Number(_)) => {
            token_ids(value, param).map(|ids| vec![TextInput::from_ids(&ids)])
        }
        Some(Value::Array(_)) => each(items, param, |item| {
            token_ids(item, param)
                .ok()
                .map(|ids| TextInput::from_ids(&ids))
        }),
        Some(_) => Err(invalid_type(param, EXPECTED, value)),
    }
}

/// Every item read the same way as the first; a mixed array is rejected as a whole.
fn each(
    items: &[Value],
    param: &str,
    read: impl Fn(&Value) -> Option<TextInput>,
) -> Result<Vec<TextInput>, ApiError> {
    items
        .iter()
        .map(|item| read(item).ok_or_else(|| invalid_type(param, EXPECTED, item)))
        .collect()
}

fn token_ids(value: &Value, param: &str) -> Result<Vec<i64>, ApiError> {
    let ids = value
        .as_array()
        .ok_or_else(|| invalid_type(param, EXPECTED, value))?;
    ids.iter()
        .map(|id| {
            id.as_i64()
                .ok_or_else(|| invalid_type(param, EXPECTED, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_shape_of_the_union_parses() {
        let text = |text: &str| TextInput::from_text(text);
        let ids = |ids: &[i64]| TextInput::from_ids(ids);

        assert_eq!(parse(&json!("a b"), "p"), Ok(vec![text("a b")]));
        assert_eq!(
            parse(&json!(["a", "b c"]), "p"),
            Ok(vec![text("a"), text("b c")])
        );
        assert_eq!(parse(&json!([1, 2]), "p"), Ok(vec![ids(&[1, 2])]));
        assert_eq!(
            parse(&json!([[1], [2, 3]]), "p"),
            Ok(vec![ids(&[1]), ids(&[2, 3])])
        );
        assert_eq!(ids(&[2, 3]).text, "2 3");
        assert_eq!(ids(&[2, 3]).tokens, 2);
    }

    #[test]
    fn mixed_or_empty_arrays_are_rejected() {
        assert!(parse(&json!(["a", 1]), "p").is_err());
        assert!(parse(&json!([1, "a"]), "p").is_err());
        assert!(parse(&json!([[1], "a"]), "p").is_err());
        assert!(parse(&json!([true]), "p").is_err());
        assert_eq!(parse(&json!([]), "p"), Err(empty_array("p")));
    }
}
