//! Field checks for Vertex AI's JSON, refusing as Google does: unknown names, wrong types and
//! values out of range, each at the path of the field.

use std::fmt;

use serde_json::{Map, Value};

use super::error::GoogleError;

/// The fields of one JSON object, and the path that names them in errors.
#[derive(Debug, Clone)]
pub(super) struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    pub(super) fn root(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            path: String::new(),
        }
    }

    /// `value`, which must be an object, found at `path`.
    pub(super) fn of(value: &'a Value, path: String) -> Result<Self, GoogleError> {
        match value {
            Value::Object(map) => Ok(Self { map, path }),
            _ => Err(GoogleError::invalid_value(&path, "expected an object")),
        }
    }

    pub(super) fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Refuses any field not in `known`.
    pub(super) fn only(&self, known: &[&str]) -> Result<(), GoogleError> {
        match self.map.keys().find(|key| !known.contains(&key.as_str())) {
            Some(unknown) => Err(GoogleError::unknown_field(unknown, &self.path)),
            None => Ok(()),
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    pub(super) fn require(&self, key: &str) -> Result<&'a Value, GoogleError> {
        self.get(key)
            .ok_or_else(|| GoogleError::missing(&self.path(key)))
    }

    pub(super) fn string(&self, key: &str) -> Result<Option<&'a str>, GoogleError> {
        self.typed(key, "expected a string", Value::as_str)
    }

    pub(super) fn require_string(&self, key: &str) -> Result<&'a str, GoogleError> {
        self.string(key)?
            .ok_or_else(|| GoogleError::missing(&self.path(key)))
    }

    pub(super) fn bool(&self, key: &str) -> Result<Option<bool>, GoogleError> {
        self.typed(key, "expected a boolean", Value::as_bool)
    }

    pub(super) fn array(&self, key: &str) -> Result<Option<&'a [Value]>, GoogleError> {
        self.typed(key, "expected a list", |value| {
            value.as_array().map(Vec::as_slice)
        })
    }

    /// A list that must be present and hold at least one item.
    pub(super) fn require_items(&self, key: &str) -> Result<&'a [Value], GoogleError> {
        match self.array(key)? {
            Some(items) if !items.is_empty() => Ok(items),
            _ => Err(GoogleError::invalid_argument(format!(
                "{} must hold at least one item.",
                self.path(key)
            ))),
        }
    }

    pub(super) fn object(&self, key: &str) -> Result<Option<Fields<'a>>, GoogleError> {
        self.get(key)
            .map(|value| Self::of(value, self.path(key)))
            .transpose()
    }

    pub(super) fn require_object(&self, key: &str) -> Result<Fields<'a>, GoogleError> {
        Self::of(self.require(key)?, self.path(key))
    }

    pub(super) fn number(&self, key: &str, min: f64, max: f64) -> Result<Option<f64>, GoogleError> {
        let number = self.typed(key, "expected a number", Value::as_f64)?;
        self.in_range(key, number, min, max)
    }

    pub(super) fn integer(
        &self,
        key: &str,
        min: i64,
        max: i64,
    ) -> Result<Option<i64>, GoogleError> {
        let number = self.typed(key, "expected an integer", Value::as_i64)?;
        self.in_range(key, number, min, max)
    }

    fn in_range<T>(
        &self,
        key: &str,
        value: Option<T>,
        min: T,
        max: T,
    ) -> Result<Option<T>, GoogleError>
    where
        T: PartialOrd + fmt::Display,
    {
        match value {
            Some(number) if number < min || number > max => {
                let why = format!("{number} is out of range [{min}, {max}]");
                Err(GoogleError::invalid_value(&self.path(key), &why))
            }
            _ => Ok(value),
        }
    }

    fn typed<T>(
        &self,
        key: &str,
        expected: &str,
        read: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, GoogleError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        read(value)
            .map(Some)
            .ok_or_else(|| GoogleError::invalid_value(&self.path(key), expected))
    }
}

/// The objects of a list found at `path`, each with its indexed path.
pub(super) fn each<'a>(items: &'a [Value], path: &str) -> Result<Vec<Fields<'a>>, GoogleError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| Fields::of(item, format!("{path}[{index}]")))
        .collect()
}
