//! Field checks shared by every endpoint, worded like the real API's rejections.
//!
//! Each check names the offending field in `param` with its full path
//! (`messages[2].content[0].type`), as OpenAI does, so tests can assert exactly which field
//! the mock refused.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The top-level JSON object of a POST body, after the content type and syntax checks.
pub(crate) fn json_object(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Map<String, Value>, ApiError> {
    check_content_type(headers)?;

    let value: Value = serde_json::from_slice(body).map_err(|_| {
        ApiError::invalid_request(
            "We could not parse the JSON body of your request. The OpenAI API expects a JSON \
             payload, but what was sent was not valid JSON.",
        )
    })?;

    match value {
        Value::Object(map) => Ok(map),
        other => Err(ApiError::invalid_request(format!(
            "Invalid type for the request body: expected an object, but got {} instead.",
            describe(&other)
        ))
        .with_code("invalid_type")),
    }
}

fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default();

    // Parameters such as `; charset=utf-8` are allowed after the media type.
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        return Ok(());
    }

    let message = format!(
        "Unsupported content type: '{content_type}'. This API method only accepts \
         'application/json' requests."
    );
    Err(ApiError::invalid_request(message).with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE))
}

/// How the real API names a JSON value's type in its messages.
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_f64() => "a decimal",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `'a', 'b', and 'c'`, the way the real API lists supported values.
fn quoted_list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|value| format!("'{value}'")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

pub(crate) fn invalid_type(param: &str, expected: &str, got: &Value) -> ApiError {
    let got = describe(got);
    let message =
        format!("Invalid type for '{param}': expected {expected}, but got {got} instead.");
    ApiError::invalid_request(message)
        .with_param(param)
        .with_code("invalid_type")
}

pub(crate) fn invalid_value(param: &str, got: &str, supported: &[&str]) -> ApiError {
    let supported = quoted_list(supported);
    let message = format!("Invalid value: '{got}'. Supported values are: {supported}.");
    ApiError::invalid_request(message)
        .with_param(param)
        .with_code("invalid_value")
}

pub(crate) fn empty_array(param: &str) -> ApiError {
    let message = format!(
        "Invalid '{param}': empty array. Expected an array with minimum length 1, but got an \
         empty array instead."
    );
    ApiError::invalid_request(message)
        .with_param(param)
        .with_code("empty_array")
}

pub(crate) fn array_too_long(param: &str, max: usize, len: usize) -> ApiError {
    let message = format!(
        "Invalid '{param}': array too long. Expected an array with maximum length {max}, but got \
         an array with length {len} instead."
    );
    ApiError::invalid_request(message)
        .with_param(param)
        .with_code("array_above_max_length")
}

/// Whether `name` is a valid function or schema name: `^[a-zA-Z0-9_-]{1,64}$`.
fn is_valid_name(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    (1..=64).contains(&name.len()) && name.chars().all(allowed)
}

/// The fields of one JSON object, with the path that prefixes their names in errors.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Fields<'a> {
    pub(crate) fn root(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            prefix: String::new(),
        }
    }

    /// `value` as an object found at `param`.
    pub(crate) fn of(value: &'a Value, param: String) -> Result<Self, ApiError> {
        match value {
            Value::Object(map) => Ok(Self { map, prefix: param }),
            other => Err(invalid_type(&param, "an object", other)),
        }
    }

    /// The error path of field `key`.
    pub(crate) fn param(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    /// The field, treating an explicit `null` like an absent field, as the API does for
    /// nullable parameters.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|value| !value.is_null())
    }

    pub(crate) fn require(&self, key: &str) -> Result<&'a Value, ApiError> {
        self.map
            .get(key)
            .ok_or_else(|| ApiError::missing(&self.param(key)))
    }

    pub(crate) fn require_string(&self, key: &str) -> Result<&'a str, ApiError> {
        let value = self.require(key)?;
        value
            .as_str()
            .ok_or_else(|| invalid_type(&self.param(key), "a string", value))
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        self.typed(key, "a string", Value::as_str)
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        self.typed(key, "a boolean", Value::as_bool)
    }

    pub(crate) fn array(&self, key: &str) -> Result<Option<&'a [Value]>, ApiError> {
        self.typed(key, "an array", |value| value.as_array().map(Vec::as_slice))
    }

    pub(crate) fn object(&self, key: &str) -> Result<Option<Fields<'a>>, ApiError> {
        self.get(key)
            .map(|value| Self::of(value, self.param(key)))
            .transpose()
    }

    pub(crate) fn require_object(&self, key: &str) -> Result<Fields<'a>, ApiError> {
        Self::of(self.require(key)?, self.param(key))
    }

    /// A string field that must be one of `allowed`.
    pub(crate) fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<&'a str>, ApiError> {
        self.string(key)?
            .map(|value| self.allowed(key, value, allowed))
            .transpose()
    }

    pub(crate) fn require_one_of(&self, key: &str, allowed: &[&str]) -> Result<&'a str, ApiError> {
        self.allowed(key, self.require_string(key)?, allowed)
    }

    fn allowed(&self, key: &str, value: &'a str, allowed: &[&str]) -> Result<&'a str, ApiError> {
        if allowed.contains(&value) {
            Ok(value)
        } else {
            Err(invalid_value(&self.param(key), value, allowed))
        }
    }

    /// A string that must match `^[a-zA-Z0-9_-]{1,64}$`, like function and schema names.
    pub(crate) fn require_name(&self, key: &str) -> Result<&'a str, ApiError> {
        let name = self.require_string(key)?;
        if is_valid_name(name) {
            return Ok(name);
        }

        let param = self.param(key);
        let message = format!(
            "Invalid '{param}': string does not match pattern. Expected a string that matches \
             the pattern '^[a-zA-Z0-9_-]{{1,64}}$'."
        );
        Err(ApiError::invalid_request(message)
            .with_param(param)
            .with_code("invalid_value"))
    }

    /// A number within `min..=max`.
    pub(crate) fn number(&self, key: &str, min: f64, max: f64) -> Result<Option<f64>, ApiError> {
        let Some(number) = self.typed(key, "a decimal", Value::as_f64)? else {
            return Ok(None);
        };
        let param = self.param(key);
        if number < min {
            let message = format!(
                "Invalid '{param}': decimal below minimum value. Expected a value >= {min}, but \
                 got {number} instead."
            );
            return Err(range_error(message, param, "decimal_below_min_value"));
        }
        if number > max {
            let message = format!(
                "Invalid '{param}': decimal above maximum value. Expected a value <= {max}, but \
                 got {number} instead."
            );
            return Err(range_error(message, param, "decimal_above_max_value"));
        }
        Ok(Some(number))
    }

    /// An integer within `min..=max`.
    pub(crate) fn integer(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let param = self.param(key);
        // A u64 beyond i64::MAX is still an integer, just too large for any field here.
        let number = match value.as_i64() {
            Some(number) => number,
            None if value.is_u64() => i64::MAX,
            None => return Err(invalid_type(&param, "an integer", value)),
        };

        if number < min {
            let message = format!(
                "Invalid '{param}': integer below minimum value. Expected a value >= {min}, but \
                 got {number} instead."
            );
            return Err(range_error(message, param, "integer_below_min_value"));
        }
        if number > max {
            let message = format!(
                "Invalid '{param}': integer above maximum value. Expected a value <= {max}, but \
                 got {value} instead."
            );
            return Err(range_error(message, param, "integer_above_max_value"));
        }
        Ok(Some(number))
    }

    /// An integer within `min..=max` that the caller uses as a count.
    pub(crate) fn count(
        &self,
        key: &str,
        min: usize,
        max: usize,
    ) -> Result<Option<usize>, ApiError> {
        let as_i64 = |bound: usize| i64::try_from(bound).unwrap_or(i64::MAX);
        let number = self.integer(key, as_i64(min), as_i64(max))?;
        // The range check above guarantees a non-negative number when min is a usize.
        Ok(number.map(|number| usize::try_from(number).unwrap_or(usize::MAX)))
    }

    fn typed<T>(
        &self,
        key: &str,
        expected: &str,
        read: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        read(value)
            .map(Some)
            .ok_or_else(|| invalid_type(&self.param(key), expected, value))
    }
}

fn range_error(message: String, param: String, code: &'static str) -> ApiError {
    ApiError::invalid_request(message)
        .with_param(param)
        .with_code(code)
}

/// `stop`: a string or an array of at most four strings; the sequences end the reply early.
pub(crate) fn stop<'a>(fields: &Fields<'a>) -> Result<Vec<&'a str>, ApiError> {
    let param = fields.param("stop");
    let Some(value) = fields.get("stop") else {
        return Ok(Vec::new());
    };

    let sequences = match value {
        Value::String(single) => return Ok(vec![single.as_str()]),
        Value::Array(sequences) => sequences,
        other => {
            return Err(invalid_type(
                &param,
                "a string or an array of strings",
                other,
            ));
        }
    };
    if sequences.len() > 4 {
        return Err(array_too_long(&param, 4, sequences.len()));
    }

    sequences
        .iter()
        .enumerate()
        .map(|(index, sequence)| {
            sequence
                .as_str()
                .ok_or_else(|| invalid_type(&format!("{param}[{index}]"), "a string", sequence))
        })
        .collect()
}

/// `stream` and `stream_options`; returns `(stream, include_usage)`.
pub(crate) fn streaming(fields: &Fields<'_>) -> Result<(bool, bool), ApiError> {
    let stream = fields.bool("stream")?.unwrap_or(false);
    let Some(options) = fields.object("stream_options")? else {
        return Ok((stream, false));
    };

    if !stream {
        let message = "The 'stream_options' parameter is only allowed when 'stream' is enabled.";
        return Err(ApiError::invalid_request(message).with_param("stream_options"));
    }
    options.bool("include_obfuscation")?;
    Ok((stream, options.bool("include_usage")?.unwrap_or(false)))
}

/// Sampling parameters common to chat and legacy completions.
pub(crate) fn sampling(fields: &Fields<'_>) -> Result<(), ApiError> {
    fields.number("temperature", 0.0, 2.0)?;
    fields.number("top_p", 0.0, 1.0)?;
    fields.number("frequency_penalty", -2.0, 2.0)?;
    fields.number("presence_penalty", -2.0, 2.0)?;
    fields.integer("seed", i64::MIN, i64::MAX)?;
    fields.string("user")?;
    logit_bias(fields)
}

fn logit_bias(fields: &Fields<'_>) -> Result<(), ApiError> {
    let Some(bias) = fields.object("logit_bias")? else {
        return Ok(());
    };
    for key in bias.map.keys() {
        bias.number(key, -100.0, 100.0)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(value: &Value) -> Fields<'_> {
        Fields::of(value, String::new()).expect("test bodies are objects")
    }

    #[test]
    fn names_follow_the_function_name_pattern() {
        assert!(is_valid_name("get_weather-2"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("get weather"));
        assert!(!is_valid_name(&"a".repeat(65)));
    }

    #[test]
    fn supported_values_read_like_the_api() {
        assert_eq!(quoted_list(&["a"]), "'a'");
        assert_eq!(quoted_list(&["a", "b", "c"]), "'a', 'b', and 'c'");
    }

    #[test]
    fn integers_reject_decimals_and_out_of_range_values() {
        let body = json!({"n": 1.5, "m": 0, "huge": u64::MAX});
        let fields = fields(&body);

        assert!(fields.integer("n", 1, 128).is_err());
        assert_eq!(
            fields.integer("m", 1, 128),
            Err(range_error(
                "Invalid 'm': integer below minimum value. Expected a value >= 1, but got 0 \
                 instead."
                    .to_owned(),
                "m".to_owned(),
                "integer_below_min_value"
            ))
        );
        assert!(fields.integer("huge", 1, 128).is_err());
        assert_eq!(fields.integer("absent", 1, 128), Ok(None));
    }

    #[test]
    fn stop_accepts_a_string_or_up_to_four_strings() {
        assert_eq!(stop(&fields(&json!({"stop": "x"}))), Ok(vec!["x"]));
        assert_eq!(
            stop(&fields(&json!({"stop": ["x", "y"]}))),
            Ok(vec!["x", "y"])
        );
        assert!(stop(&fields(&json!({"stop": ["1", "2", "3", "4", "5"]}))).is_err());
        assert!(stop(&fields(&json!({"stop": [1]}))).is_err());
    }
}
