use std::collections::BTreeSet;

use serde_json::Value;

use super::*;

fn spec_value() -> Value {
    serde_json::from_slice(&spec_json()).expect("the spec is JSON")
}

/// Every method and path the spec documents.
fn documented(spec: &Value) -> BTreeSet<(String, String)> {
    let paths = spec["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().expect("a path item");
            methods
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

#[test]
fn the_spec_documents_every_route_and_nothing_else() {
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path, _)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(served.len(), ROUTES.len(), "no route is listed twice");
    assert_eq!(documented(&spec_value()), served);
}

#[test]
fn each_collection_path_is_its_kinds() {
    for (_, path, target) in ROUTES {
        if let Target::Collection(kind) | Target::Item(kind) = target {
            let collection = format!("/api/v1/management/{}", kind.collection());
            assert!(path.starts_with(&collection), "{path} serves {kind:?}");
        }
    }
}

#[test]
fn writes_name_their_fields_and_refuse_unknown_ones() {
    let spec = spec_value();
    let schemas = &spec["components"]["schemas"];
    let new = &schemas["NewProvider"];
    assert_eq!(new["additionalProperties"], false);
    let fields: BTreeSet<&str> = new["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["name", "provider_type", "config", "enabled"])
    );
    assert_eq!(
        schemas["NewPipeline"]["properties"]["plugins"]["type"],
        "array"
    );
    assert!(schemas["Secret"]["properties"].get("value").is_none());
}

#[test]
fn changes_are_conditional_and_refusals_documented() {
    let spec = spec_value();
    let update = &spec["paths"]["/api/v1/management/pipelines/{id}"]["put"];
    let names: Vec<&Value> = update["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|parameter| &parameter["name"])
        .collect();
    assert_eq!(names, ["id", "If-Match"]);
    for status in ["401", "404", "409", "412", "422"] {
        assert_eq!(
            update["responses"][status]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ManagementError",
            "{status}"
        );
    }
}

#[test]
fn only_health_and_documentation_go_without_the_token() {
    let spec = spec_value();
    assert_eq!(spec["security"], serde_json::json!([{"bearer": []}]));
    let open: BTreeSet<&str> = spec["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .filter(|(_, item)| item["get"]["security"] == serde_json::json!([{}]))
        .map(|(path, _)| path.as_str())
        .collect();
    assert_eq!(
        open,
        BTreeSet::from([
            "/health",
            "/openapi.json",
            "/swagger-ui",
            "/swagger-ui/{file}"
        ])
    );
}
