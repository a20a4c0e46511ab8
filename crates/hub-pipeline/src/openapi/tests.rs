use std::collections::BTreeSet;

use http::Method;
use serde_json::Value;

use super::*;
use crate::routes::route;

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
                .filter(|key| !matches!(key.as_str(), "parameters" | "summary" | "description"))
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
    assert_eq!(documented(&spec_value()), served);
}

#[test]
fn every_documented_operation_is_routed_under_both_prefixes() {
    for (method, path) in documented(&spec_value()) {
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        let concrete = path
            .replace("{model}", "org/model")
            .replace("{file}", "index.css");
        assert!(route(&method, &concrete).is_ok(), "{method} {concrete}");
        if let Some(rest) = concrete.strip_prefix("/api/v1") {
            assert!(
                route(&method, &format!("/v1{rest}")).is_ok(),
                "{method} /v1{rest}"
            );
        }
    }
}

#[test]
fn each_path_has_one_method_as_the_allow_header_says() {
    let paths: BTreeSet<&str> = ROUTES.iter().map(|(_, path, _)| *path).collect();
    assert_eq!(paths.len(), ROUTES.len());
}

#[test]
fn operations_read_the_pipeline_header_and_answer_openai_errors() {
    let spec = spec_value();
    let chat = &spec["paths"]["/api/v1/chat/completions"]["post"];
    assert_eq!(chat["parameters"][0]["name"], "x-traceloop-pipeline");
    assert_eq!(chat["parameters"][0]["in"], "header");
    for status in [
        "400", "401", "404", "408", "413", "429", "502", "503", "504",
    ] {
        assert_eq!(
            chat["responses"][status]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody",
            "{status}"
        );
    }
    let success = &chat["responses"]["200"]["content"];
    assert!(success["text/event-stream"].is_object());
    assert_eq!(
        success["application/json"]["schema"]["$ref"],
        "#/components/schemas/ChatCompletion"
    );
}

#[test]
fn unmodelled_fields_are_additional_properties() {
    let spec = spec_value();
    let request = &spec["components"]["schemas"]["ChatCompletionRequest"];
    assert!(request["additionalProperties"].is_object(), "{request}");
    assert!(
        request["required"]
            .as_array()
            .is_some_and(|required| required.contains(&Value::from("model")))
    );
}

#[test]
fn documentation_needs_no_key_and_the_api_may_take_one() {
    let spec = spec_value();
    assert_eq!(spec["openapi"], "3.1.0");
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(spec["security"], serde_json::json!([{}, {"bearer": []}]));
    assert_eq!(
        spec["paths"]["/openapi.json"]["get"]["security"],
        serde_json::json!([{}])
    );
}
