//! Translation tests: OpenAI's JSON Schemas beside the Vertex schemas they become, and the
//! keywords refused.

use serde_json::json;

use super::*;

#[test]
fn an_openai_tool_schema_becomes_a_vertex_schema() {
    let openai = json!({
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "The city"},
            "unit": {"type": ["string", "null"], "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "array", "items": {"type": "integer"}, "maxItems": 7},
            "mode": {"const": "fast"}
        },
        "required": ["city"],
        "additionalProperties": false,
        "$schema": "https://json-schema.org/draft/2020-12/schema"
    });

    let vertex = convert(&openai, "parameters").unwrap();

    assert_eq!(
        vertex,
        json!({
            "type": "OBJECT",
            "properties": {
                "city": {"type": "STRING", "description": "The city"},
                "unit": {"type": "STRING", "nullable": true,
                         "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "ARRAY", "items": {"type": "INTEGER"}, "maxItems": 7},
                "mode": {"enum": ["fast"]}
            },
            "required": ["city"]
        })
    );
}

#[test]
fn an_optional_field_written_with_any_of_becomes_nullable() {
    let openai = json!({"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}],
                        "description": "A short name"});

    let vertex = convert(&openai, "p").unwrap();

    assert_eq!(
        vertex,
        json!({"type": "STRING", "maxLength": 5, "nullable": true,
               "description": "A short name"})
    );
}

#[test]
fn several_alternatives_stay_any_of() {
    let openai = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});

    let vertex = convert(&openai, "p").unwrap();

    assert_eq!(
        vertex,
        json!({"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]})
    );
}

#[test]
fn what_vertex_cannot_express_is_refused_at_its_path() {
    let cases = [
        (
            json!({"properties": {"a": {"$ref": "#/$defs/A"}}}),
            "p.properties.a.$ref",
        ),
        (json!({"oneOf": [{"type": "string"}]}), "p.oneOf"),
        (
            json!({"type": "object", "additionalProperties": {"type": "string"}}),
            "p.additionalProperties",
        ),
        (json!({"type": ["string", "integer"]}), "p.type"),
        (json!({"enum": [1, 2]}), "p.enum"),
        (json!({"items": [{"type": "string"}]}), "p.items"),
    ];

    for (schema, param) in cases {
        match convert(&schema, "p") {
            Err(Error::InvalidRequest { param: found, .. }) => {
                assert_eq!(found.as_deref(), Some(param), "{schema}");
            }
            other => panic!("{schema} was not refused: {other:?}"),
        }
    }
}
