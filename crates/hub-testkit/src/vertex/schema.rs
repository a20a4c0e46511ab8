//! Vertex AI's `Schema` (`openapi.proto`): the OpenAPI 3.0 subset its function declarations and
//! structured output take. Type names are the proto enum's, upper case; a JSON Schema written
//! in lower case is refused, as Vertex refuses it.

use serde_json::Value;

use super::error::GoogleError;
use super::fields::{Fields, each};

const TYPES: [&str; 6] = ["STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT"];

const FIELDS: [&str; 21] = [
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "default",
    "items",
    "minItems",
    "maxItems",
    "enum",
    "properties",
    "propertyOrdering",
    "required",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "example",
];

/// Checks the schema at `path`, and every schema inside it.
pub(super) fn check(value: &Value, path: String) -> Result<(), GoogleError> {
    let schema = Fields::of(value, path)?;
    let mut known = FIELDS.to_vec();
    known.push("anyOf");
    schema.only(&known)?;

    if let Some(kind) = schema.string("type")?
        && !TYPES.contains(&kind)
    {
        let why = format!("(type.googleapis.com/google.cloud.aiplatform.v1.Type), \"{kind}\"");
        return Err(GoogleError::invalid_value(&schema.path("type"), &why));
    }
    schema.string("description")?;
    schema.bool("nullable")?;
    strings(&schema, "enum")?;

    if let Some(items) = schema.get("items") {
        check(items, schema.path("items"))?;
    }
    for (index, member) in schema
        .array("anyOf")?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        check(member, format!("{}[{index}]", schema.path("anyOf")))?;
    }
    properties(&schema)
}

/// Each property's schema, and a `required` list that names only declared properties.
fn properties(schema: &Fields<'_>) -> Result<(), GoogleError> {
    let properties = schema.object("properties")?;
    if let Some(properties) = &properties {
        for (name, property) in properties_of(schema) {
            check(property, properties.path(name))?;
        }
    }

    let required = strings(schema, "required")?;
    let declared = |name: &str| properties_of(schema).any(|(declared, _)| declared == name);
    match required.iter().position(|name| !declared(name)) {
        Some(index) => Err(GoogleError::invalid_argument(format!(
            "{}[{index}]: property is not defined",
            schema.path("required")
        ))),
        None => Ok(()),
    }
}

fn properties_of<'a>(schema: &Fields<'a>) -> impl Iterator<Item = (&'a String, &'a Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

/// A list of strings, or nothing.
fn strings<'a>(schema: &Fields<'a>, key: &str) -> Result<Vec<&'a str>, GoogleError> {
    let items = schema.array(key)?.unwrap_or_default();
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            item.as_str().ok_or_else(|| {
                let at = format!("{}[{index}]", schema.path(key));
                GoogleError::invalid_value(&at, "expected a string")
            })
        })
        .collect()
}

/// The function declarations of `tools`, checked; returns their names.
pub(super) fn declarations<'a>(
    tools: &[Fields<'a>],
) -> Result<Vec<(&'a str, Option<&'a Value>)>, GoogleError> {
    let mut declared = Vec::new();
    for tool in tools {
        tool.only(&[
            "functionDeclarations",
            "googleSearch",
            "retrieval",
            "codeExecution",
        ])?;
        let functions = tool.array("functionDeclarations")?.unwrap_or_default();
        for function in each(functions, &tool.path("functionDeclarations"))? {
            function.only(&[
                "name",
                "description",
                "parameters",
                "parametersJsonSchema",
                "response",
            ])?;
            let name = function.require_string("name")?;
            check_name(name, &function.path("name"))?;
            function.string("description")?;
            let parameters = function.get("parameters");
            if let Some(parameters) = parameters {
                check(parameters, function.path("parameters"))?;
            }
            declared.push((name, parameters));
        }
    }
    Ok(declared)
}

/// A function name: a letter or `_` first, then letters, digits, `_`, `.` or `-`; at most 64.
fn check_name(name: &str, path: &str) -> Result<(), GoogleError> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if first_ok && rest_ok && name.len() <= 64 {
        Ok(())
    } else {
        Err(GoogleError::invalid_value(
            path,
            "a function name starts with a letter or an underscore and holds only letters, \
             digits, underscores, dots and dashes, 64 at most",
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn upper_case_types_and_declared_required_properties_pass() {
        let schema = json!({"type": "OBJECT", "nullable": false,
            "properties": {"city": {"type": "STRING"},
                           "days": {"type": "ARRAY", "items": {"type": "INTEGER"}}},
            "required": ["city"]});

        assert_eq!(check(&schema, "parameters".to_owned()), Ok(()));
    }

    #[test]
    fn json_schema_spellings_and_strays_are_refused() {
        let cases = [
            json!({"type": "string"}),
            json!({"type": "OBJECT", "additionalProperties": false}),
            json!({"type": "OBJECT", "required": ["city"]}),
            json!({"type": "ARRAY", "items": {"type": "object"}}),
            json!({"enum": [1]}),
        ];
        for schema in cases {
            assert!(check(&schema, "p".to_owned()).is_err(), "{schema}");
        }
    }

    #[test]
    fn function_names_follow_vertex_rules() {
        assert!(check_name("get_weather.v2-beta", "n").is_ok());
        assert!(check_name("2fast", "n").is_err());
        assert!(check_name("get weather", "n").is_err());
    }
}
