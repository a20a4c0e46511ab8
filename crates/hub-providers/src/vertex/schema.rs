//! OpenAI's JSON Schemas (tool parameters, structured output) as Vertex AI's `Schema`, the
//! OpenAPI 3.0 subset of `openapi.proto`.
//!
//! Types become upper-case enum names, `["string", "null"]` and an `anyOf` with a `null`
//! member become `nullable`, `const` becomes a one-value `enum`. Annotations that constrain
//! nothing (`$schema`, `examples`, ...) and `additionalProperties: false`, which only forbids
//! what the model is not asked for, are left out. Anything else Vertex cannot express
//! (`$ref`, `oneOf`, `allOf`, maps, tuples, ...) is refused with the path of the keyword, so a
//! caller never gets an answer to a looser schema than it sent.

use hub_core::Error;
use serde_json::{Map, Value};

use super::refuse;

/// Keywords copied as they are.
const KEPT: [&str; 16] = [
    "description",
    "title",
    "format",
    "pattern",
    "nullable",
    "default",
    "example",
    "required",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
];

/// Annotations that change nothing about valid values.
const DROPPED: [&str; 8] = [
    "$schema",
    "$id",
    "$comment",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "strict",
];

/// `schema`, found at `param` in the client's request, as a Vertex `Schema`.
pub(super) fn convert(schema: &Value, param: &str) -> Result<Value, Error> {
    let Value::Object(schema) = schema else {
        return Err(refuse(param, "a schema must be a JSON object"));
    };

    let mut converted = Map::new();
    for (keyword, value) in schema {
        let at = format!("{param}.{keyword}");
        match keyword.as_str() {
            "type" => set_type(value, &at, &mut converted)?,
            "properties" => {
                converted.insert(keyword.clone(), properties(value, &at)?);
            }
            "items" => {
                converted.insert(keyword.clone(), convert(value, &at)?);
            }
            "enum" => {
                converted.insert(keyword.clone(), string_enum(value, &at)?);
            }
            "const" => {
                let one = Value::Array(vec![value.clone()]);
                converted.insert("enum".to_owned(), string_enum(&one, &at)?);
            }
            "anyOf" => any_of(value, &at, &mut converted)?,
            "additionalProperties" if *value == Value::Bool(false) => {}
            kept if KEPT.contains(&kept) => {
                converted.insert(keyword.clone(), value.clone());
            }
            dropped if DROPPED.contains(&dropped) => {}
            _ => {
                return Err(refuse(
                    &at,
                    "this JSON Schema keyword has no equivalent in a Vertex AI schema",
                ));
            }
        }
    }
    Ok(Value::Object(converted))
}

/// `"string"` as `STRING`; `["string", "null"]` as `STRING` and `nullable`.
fn set_type(value: &Value, param: &str, converted: &mut Map<String, Value>) -> Result<(), Error> {
    let names: Vec<&str> = match value {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => return Err(refuse(param, "`type` must be a name or a list of names")),
    };
    let (nulls, types): (Vec<&str>, Vec<&str>) = names.into_iter().partition(|n| *n == "null");

    let [one] = types.as_slice() else {
        return Err(refuse(
            param,
            "a Vertex AI schema has exactly one type besides `null`",
        ));
    };
    converted.insert("type".to_owned(), Value::String(type_name(one, param)?));
    if !nulls.is_empty() {
        converted.insert("nullable".to_owned(), Value::Bool(true));
    }
    Ok(())
}

fn type_name(name: &str, param: &str) -> Result<String, Error> {
    match name {
        "string" | "number" | "integer" | "boolean" | "array" | "object" => {
            Ok(name.to_ascii_uppercase())
        }
        _ => Err(refuse(
            param,
            &format!("`{name}` is not a JSON Schema type"),
        )),
    }
}

fn properties(value: &Value, param: &str) -> Result<Value, Error> {
    let Value::Object(properties) = value else {
        return Err(refuse(param, "`properties` must be an object"));
    };
    properties
        .iter()
        .map(|(name, schema)| Ok((name.clone(), convert(schema, &format!("{param}.{name}"))?)))
        .collect::<Result<Map<_, _>, _>>()
        .map(Value::Object)
}

/// Vertex enums are lists of strings.
fn string_enum(value: &Value, param: &str) -> Result<Value, Error> {
    match value {
        Value::Array(values) if values.iter().all(Value::is_string) => Ok(value.clone()),
        _ => Err(refuse(param, "a Vertex AI enum holds only strings")),
    }
}

/// `anyOf`, with `{"type": "null"}` members read as `nullable`; a single member left is
/// merged into the schema itself, as generators write optional fields that way.
fn any_of(value: &Value, param: &str, converted: &mut Map<String, Value>) -> Result<(), Error> {
    let Value::Array(members) = value else {
        return Err(refuse(param, "`anyOf` must be a list of schemas"));
    };
    let is_null = |member: &Value| member.get("type") == Some(&Value::from("null"));

    let mut schemas = Vec::new();
    for (index, member) in members.iter().enumerate() {
        if !is_null(member) {
            schemas.push(convert(member, &format!("{param}[{index}]"))?);
        }
    }
    if schemas.len() < members.len() {
        converted.insert("nullable".to_owned(), Value::Bool(true));
    }

    match <[Value; 1]>::try_from(schemas) {
        Ok([Value::Object(only)]) => {
            for (keyword, value) in only {
                converted.entry(keyword).or_insert(value);
            }
        }
        Ok([_]) => {}
        Err(schemas) if schemas.is_empty() => {
            return Err(refuse(param, "`anyOf` needs a member other than `null`"));
        }
        Err(schemas) => {
            converted.insert("anyOf".to_owned(), Value::Array(schemas));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
