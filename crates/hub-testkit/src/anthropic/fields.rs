//! Field checks worded as Anthropic's API words them: the dotted path of the field
//! (`messages.1.content.0.source.data`), then what is wrong with it.

use serde_json::{Map, Value};

use super::error::ApiError;

/// The fields of one JSON object, and the path that prefixes their names in errors.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    pub(crate) fn root(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            path: String::new(),
        }
    }

    /// `value` as an object found at `path`.
    pub(crate) fn of(value: &'a Value, path: String) -> Result<Self, ApiError> {
        match value {
            Value::Object(map) => Ok(Self { map, path }),
            _ => Err(ApiError::invalid(format!(
                "{path}: Input should be a valid dictionary"
            ))),
        }
    }

    /// The error path of field `key`.
    pub(crate) fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The path of this object itself.
    pub(crate) fn here(&self) -> &str {
        &self.path
    }

    /// Refuses any field not in `allowed`, as the API refuses extra inputs.
    pub(crate) fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.map.keys().find(|key| !allowed.contains(&key.as_str())) {
            Some(extra) => Err(ApiError::invalid(format!(
                "{}: Extra inputs are not permitted",
                self.path(extra)
            ))),
            None => Ok(()),
        }
    }

    /// The field; an explicit `null` reads as absent, as it does for optional fields.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|value| !value.is_null())
    }

    pub(crate) fn require(&self, key: &str) -> Result<&'a Value, ApiError> {
        self.get(key)
            .ok_or_else(|| ApiError::invalid(format!("{}: Field required", self.path(key))))
    }

    pub(crate) fn require_str(&self, key: &str) -> Result<&'a str, ApiError> {
        let value = self.require(key)?;
        value
            .as_str()
            .ok_or_else(|| self.wrong(key, "a valid string"))
    }

    pub(crate) fn str(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        self.typed(key, "a valid string", Value::as_str)
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        self.typed(key, "a valid boolean", Value::as_bool)
    }

    pub(crate) fn array(&self, key: &str) -> Result<Option<&'a [Value]>, ApiError> {
        self.typed(key, "a valid list", |value| {
            value.as_array().map(Vec::as_slice)
        })
    }

    pub(crate) fn object(&self, key: &str) -> Result<Option<Fields<'a>>, ApiError> {
        self.get(key)
            .map(|value| Self::of(value, self.path(key)))
            .transpose()
    }

    pub(crate) fn require_object(&self, key: &str) -> Result<Fields<'a>, ApiError> {
        Self::of(self.require(key)?, self.path(key))
    }

    /// A number within `min..=max`.
    pub(crate) fn number(&self, key: &str, min: f64, max: f64) -> Result<Option<f64>, ApiError> {
        let Some(number) = self.typed(key, "a valid number", Value::as_f64)? else {
            return Ok(None);
        };
        let path = self.path(key);
        if number < min {
            return Err(ApiError::invalid(format!(
                "{path}: Input should be greater than or equal to {min}"
            )));
        }
        if number > max {
            return Err(ApiError::invalid(format!(
                "{path}: Input should be less than or equal to {max}"
            )));
        }
        Ok(Some(number))
    }

    /// A whole number, at least 0.
    pub(crate) fn integer(&self, key: &str) -> Result<Option<u64>, ApiError> {
        self.typed(key, "a valid integer", Value::as_u64)
    }

    pub(crate) fn require_integer(&self, key: &str) -> Result<u64, ApiError> {
        self.require(key)?;
        self.integer(key).map(Option::unwrap_or_default)
    }

    /// A string that must be one of `allowed`.
    pub(crate) fn require_one_of(&self, key: &str, allowed: &[&str]) -> Result<&'a str, ApiError> {
        let value = self.require_str(key)?;
        if allowed.contains(&value) {
            return Ok(value);
        }
        let quoted: Vec<String> = allowed.iter().map(|value| format!("'{value}'")).collect();
        let listed = match quoted.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, init)) => format!("{} or {last}", init.join(", ")),
            None => String::new(),
        };
        Err(ApiError::invalid(format!(
            "{}: Input should be {listed}",
            self.path(key)
        )))
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
            .ok_or_else(|| self.wrong(key, expected))
    }

    fn wrong(&self, key: &str, expected: &str) -> ApiError {
        ApiError::invalid(format!("{}: Input should be {expected}", self.path(key)))
    }
}

/// Whether `name` fits `^[a-zA-Z0-9_-]{1,max}$`, the pattern of tool names and ids.
pub(crate) fn is_identifier(name: &str, max: usize) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    (1..=max).contains(&name.len()) && name.chars().all(allowed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn messages_name_the_field_by_its_dotted_path() {
        let body = json!({"a": {"b": 2, "c": "x"}});
        let root = Fields::of(&body, String::new()).unwrap();
        let inner = root.require_object("a").unwrap();

        assert_eq!(
            inner.require_str("b").unwrap_err().message,
            "a.b: Input should be a valid string"
        );
        assert_eq!(
            inner.require("d").unwrap_err().message,
            "a.d: Field required"
        );
        assert_eq!(
            inner.only(&["b"]).unwrap_err().message,
            "a.c: Extra inputs are not permitted"
        );
        assert_eq!(
            inner
                .require_one_of("c", &["user", "assistant"])
                .unwrap_err()
                .message,
            "a.c: Input should be 'user' or 'assistant'"
        );
        assert_eq!(
            inner.number("b", 0.0, 1.0).unwrap_err().message,
            "a.b: Input should be less than or equal to 1"
        );
    }

    #[test]
    fn identifiers_follow_the_pattern() {
        assert!(is_identifier("toolu_01-A", 64));
        assert!(!is_identifier("", 64));
        assert!(!is_identifier("call.1", 64));
        assert!(!is_identifier(&"a".repeat(65), 64));
    }
}
