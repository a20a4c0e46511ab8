//! Small builders for the parts both specs repeat: responses, parameters, the bearer scheme,
//! and the operations of the documentation itself.

use utoipa::openapi::path::{
    Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{
    Content, ContentBuilder, Header, HeaderBuilder, ObjectBuilder, Ref, Required, Response,
    ResponseBuilder, Type,
};

/// `{"type": "string"}`.
pub fn string_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// Content of the schema named `name` under `#/components/schemas`.
pub fn schema_content(name: &str) -> Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(name)))
        .build()
}

/// A JSON response of the schema named `schema`.
pub fn json_response(description: &str, schema: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", schema_content(schema))
        .build()
}

/// A response whose body is text of each of `content_types`.
pub fn text_response(description: &str, content_types: &[&str]) -> Response {
    let mut response = ResponseBuilder::new().description(description);
    for content_type in content_types {
        let content = ContentBuilder::new().schema(Some(string_schema())).build();
        response = response.content(*content_type, content);
    }
    response.build()
}

/// A required string parameter in the path.
pub fn path_parameter(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(string_schema()))
        .build()
}

/// An optional request header.
pub fn optional_header(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(string_schema()))
        .build()
}

/// A string response header.
pub fn string_header(description: &str) -> Header {
    HeaderBuilder::new()
        .schema(Some(string_schema()))
        .description(Some(description))
        .build()
}

/// `Authorization: Bearer <token>`.
pub fn bearer_scheme(description: &str) -> SecurityScheme {
    let http = Http::builder()
        .scheme(HttpAuthScheme::Bearer)
        .description(Some(description))
        .build();
    SecurityScheme::Http(http)
}

/// `GET /openapi.json`.
pub fn spec_operation(tag: &str) -> Operation {
    documentation(tag, "openApiSpec", "This OpenAPI spec")
        .response("200", text_response("The spec.", &["application/json"]))
        .build()
}

/// `GET /swagger-ui`.
pub fn swagger_ui_operation(tag: &str) -> Operation {
    documentation(tag, "swaggerUi", "Swagger UI for this spec")
        .response("200", text_response("The page.", &["text/html"]))
        .build()
}

/// `GET /swagger-ui/{file}`, answering `not_found` for a file Swagger UI does not have.
pub fn swagger_asset_operation(tag: &str, not_found: Response) -> Operation {
    let types = ["text/css", "text/javascript", "image/png"];
    let mut file = path_parameter("file", "The file's name.");
    file.schema = Some(
        string_schema()
            .enum_values(Some(super::swagger_ui::file_names()))
            .into(),
    );
    documentation(tag, "swaggerUiAsset", "A file of Swagger UI")
        .parameter(file)
        .response("200", text_response("The file.", &types))
        .response("404", not_found)
        .build()
}

/// Documentation is read without a token: `[{}]` overrides the spec's own requirement.
fn documentation(tag: &str, id: &str, summary: &str) -> OperationBuilder {
    OperationBuilder::new()
        .tag(tag)
        .operation_id(Some(id))
        .summary(Some(summary))
        .security(utoipa::openapi::security::SecurityRequirement::default())
}
