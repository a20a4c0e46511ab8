//! What Hub's two HTTP servers share to document themselves (the `openapi` feature): each
//! serves its OpenAPI 3.1 spec at [`SPEC_PATH`] and Swagger UI at [`UI_PATH`].
//!
//! The schemas of the wire types come from `utoipa::ToSchema`, derived on the types
//! themselves so a spec cannot drift from what the servers decode and encode. Swagger UI's
//! files are those of the `swagger-ui-redist` crate, compiled into the binary: the page
//! loads nothing from elsewhere, and [`swagger_ui`] is a lookup of bytes, not I/O.

mod build;
mod swagger_ui;

pub use build::{
    bearer_scheme, json_response, optional_header, path_parameter, schema_content, spec_operation,
    string_header, string_schema, swagger_asset_operation, swagger_ui_operation, text_response,
};
use std::sync::OnceLock;
pub use swagger_ui::{StaticFile, is_documentation, swagger_ui, swagger_ui_redirect};

use utoipa::ToSchema;
use utoipa::openapi::{OpenApi, RefOr, Schema};

/// Where a server serves its spec.
pub const SPEC_PATH: &str = "/openapi.json";
/// Where a server serves Swagger UI; its assets live beneath.
pub const UI_PATH: &str = "/swagger-ui";

/// Whether `path` is one the OpenAPI path `template` names, and the value of its parameter.
///
/// A template holds at most one parameter, `{name}`, as its last segment; it stands for the
/// rest of the path, which must not be empty (model ids may hold a `/`).
pub fn match_path<'a>(template: &str, path: &'a str) -> Option<Option<&'a str>> {
    match template.split_once('{') {
        None => (template == path).then_some(None),
        Some((prefix, _)) => path
            .strip_prefix(prefix)
            .filter(|value| !value.is_empty())
            .map(Some),
    }
}

/// The spec `build` makes, as JSON: built on the first call, then served from `cell`.
pub fn spec_json(cell: &'static OnceLock<Vec<u8>>, build: fn() -> OpenApi) -> &'static [u8] {
    cell.get_or_init(|| {
        serde_json::to_vec(&build()).expect("a spec of plain data always serializes")
    })
}

/// Adds `T`'s schema, and every schema it refers to, to `schemas`.
pub fn add_schema<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_parameter_takes_the_rest_of_the_path() {
        assert_eq!(match_path("/health", "/health"), Some(None));
        assert_eq!(match_path("/health", "/healthz"), None);
        let template = "/api/v1/models/{model}";
        assert_eq!(
            match_path(template, "/api/v1/models/a/b"),
            Some(Some("a/b"))
        );
        assert_eq!(match_path(template, "/api/v1/models/"), None);
        assert_eq!(match_path(template, "/api/v1/models"), None);
    }
}
