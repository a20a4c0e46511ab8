//! The management API's OpenAPI 3.1 spec, served at `/openapi.json`: one operation for each
//! entry of the route table, with the schemas the resources and the error body derive.

use std::sync::OnceLock;

use bytes::Bytes;
use hub_core::openapi::{
    add_schema, bearer_scheme, json_response, optional_header, path_parameter, schema_content,
    spec_operation, string_header, string_schema, swagger_asset_operation, swagger_ui_operation,
};
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, SchemaFormat};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    Components, ComponentsBuilder, ContentBuilder, InfoBuilder, ObjectBuilder, OpenApi,
    OpenApiBuilder, Paths, Required, Response, ResponseBuilder, Type,
};

use super::error::ErrorBody;
use super::routes::{ROUTES, Target};
use crate::fault::ResourceKind;
use crate::service::{
    ApiKey, ApiKeyChanges, CreatedApiKey, ModelChanges, ModelDefinition, NewApiKey, NewModel,
    NewPipeline, NewProvider, NewSecret, Pipeline, PipelineChanges, Provider, ProviderChanges,
    Secret, SecretChanges,
};

const SERVICE: &str = "Service";

/// The spec as JSON, built on first use.
pub(crate) fn spec_json() -> Bytes {
    static JSON: OnceLock<Vec<u8>> = OnceLock::new();
    Bytes::from_static(hub_core::openapi::spec_json(&JSON, spec))
}

/// The management API's spec.
pub(crate) fn spec() -> OpenApi {
    let mut paths = Paths::new();
    for (method, path, target) in ROUTES {
        paths.add_path_operation(*path, vec![http_method(method)], operation(method, *target));
    }

    let info = InfoBuilder::new()
        .title("Hub management API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Providers, model definitions, pipelines, secrets and API keys of Hub's database mode. \
             Every write is checked against the whole configuration it would leave. Each \
             resource carries a `version`, sent as its `ETag`; a change may be made \
             conditional on it with `If-Match` or the body's `version`. A method a path does \
             not serve is answered 405 with an `Allow` header.",
        ));
    let kinds = [
        ResourceKind::Provider,
        ResourceKind::ModelDefinition,
        ResourceKind::Pipeline,
        ResourceKind::Secret,
        ResourceKind::ApiKey,
    ];
    let mut tags: Vec<_> = kinds
        .iter()
        .map(|kind| TagBuilder::new().name(tag(*kind)).build())
        .collect();
    tags.push(TagBuilder::new().name(SERVICE).build());

    OpenApiBuilder::new()
        .info(info)
        .paths(paths)
        .components(Some(components()))
        .tags(Some(tags))
        .security(Some([SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]))
        .build()
}

fn components() -> Components {
    let mut schemas = Vec::new();
    add_schema::<Provider>(&mut schemas);
    add_schema::<NewProvider>(&mut schemas);
    add_schema::<ProviderChanges>(&mut schemas);
    add_schema::<ModelDefinition>(&mut schemas);
    add_schema::<NewModel>(&mut schemas);
    add_schema::<ModelChanges>(&mut schemas);
    add_schema::<Pipeline>(&mut schemas);
    add_schema::<NewPipeline>(&mut schemas);
    add_schema::<PipelineChanges>(&mut schemas);
    add_schema::<Secret>(&mut schemas);
    add_schema::<NewSecret>(&mut schemas);
    add_schema::<SecretChanges>(&mut schemas);
    add_schema::<ApiKey>(&mut schemas);
    add_schema::<CreatedApiKey>(&mut schemas);
    add_schema::<NewApiKey>(&mut schemas);
    add_schema::<ApiKeyChanges>(&mut schemas);
    add_schema::<ErrorBody>(&mut schemas);

    ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .security_scheme("bearer", bearer_scheme("`HUB_ADMIN_TOKEN`."))
        .build()
}

fn http_method(method: &str) -> HttpMethod {
    match method {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "DELETE" => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

fn operation(method: &str, target: Target) -> Operation {
    match (target, method) {
        (Target::Health, _) => health(),
        (Target::Spec, _) => spec_operation(SERVICE),
        (Target::SwaggerUi, _) => swagger_ui_operation(SERVICE),
        (Target::SwaggerAsset, _) => swagger_asset_operation(SERVICE, error("No such file.")),
        (Target::Collection(kind), "POST") => create(kind),
        (Target::Collection(kind), _) => list(kind),
        (Target::Item(kind), "PUT") => update(kind),
        (Target::Item(kind), "DELETE") => delete(kind),
        (Target::Item(kind), _) => get(kind),
    }
}

/// How the spec names a kind's schemas: the resource, a new one, and changes to one.
fn schemas(kind: ResourceKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        ResourceKind::Provider => ("Provider", "NewProvider", "ProviderChanges"),
        ResourceKind::ModelDefinition => ("ModelDefinition", "NewModel", "ModelChanges"),
        ResourceKind::Pipeline => ("Pipeline", "NewPipeline", "PipelineChanges"),
        ResourceKind::Secret => ("Secret", "NewSecret", "SecretChanges"),
        ResourceKind::ApiKey => ("ApiKey", "NewApiKey", "ApiKeyChanges"),
    }
}

fn tag(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Provider => "Providers",
        ResourceKind::ModelDefinition => "Model definitions",
        ResourceKind::Pipeline => "Pipelines",
        ResourceKind::Secret => "Secrets",
        ResourceKind::ApiKey => "API keys",
    }
}

fn resource_operation(kind: ResourceKind, verb: &str, plural: bool) -> OperationBuilder {
    let (resource, ..) = schemas(kind);
    let id = if plural {
        format!("{verb}{resource}s")
    } else {
        format!("{verb}{resource}")
    };
    OperationBuilder::new()
        .tag(tag(kind))
        .operation_id(Some(id))
        .response("401", error(UNAUTHORIZED))
        .response("503", error(UNAVAILABLE))
}

fn list(kind: ResourceKind) -> Operation {
    let (resource, ..) = schemas(kind);
    let limit = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .description(Some(
            "At most this many, 100 unless given; more than 500 reads as 500.",
        ));
    let items = ArrayBuilder::new().items(utoipa::openapi::Ref::from_schema_name(resource));
    let page = ResponseBuilder::new()
        .description("A page, sorted by name or key.")
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(items)).build(),
        )
        .header(
            "Link",
            string_header("`<...?after=NAME>; rel=\"next\"` when more follow."),
        )
        .build();

    resource_operation(kind, "list", true)
        .summary(Some(format!("List the {}s", kind.singular())))
        .parameter(query_parameter("limit", limit))
        .parameter(query_parameter(
            "after",
            string_schema().description(Some("Only those whose name or key sorts after this.")),
        ))
        .response("200", page)
        .response("400", error("A query parameter is unknown or not valid."))
        .build()
}

fn create(kind: ResourceKind) -> Operation {
    let (resource, new, _) = schemas(kind);
    // The one answer that holds a key itself.
    let resource = match kind {
        ResourceKind::ApiKey => "CreatedApiKey",
        _ => resource,
    };
    let created = ResponseBuilder::new()
        .description("Created.")
        .content("application/json", schema_content(resource))
        .header("ETag", string_header("The version, quoted."))
        .header("Location", string_header("Where the new resource lives."))
        .build();

    resource_operation(kind, "create", false)
        .summary(Some(format!("Create a {}", kind.singular())))
        .request_body(Some(body(new)))
        .response("201", created)
        .response("400", error(MALFORMED))
        .response("409", error(CONFLICT))
        .response("413", error(TOO_LARGE))
        .response("422", error(INVALID))
        .build()
}

fn get(kind: ResourceKind) -> Operation {
    let (resource, ..) = schemas(kind);
    resource_operation(kind, "get", false)
        .summary(Some(format!("Read a {}", kind.singular())))
        .parameter(id_parameter())
        .response("200", versioned(resource))
        .response("404", error(NOT_FOUND))
        .build()
}

fn update(kind: ResourceKind) -> Operation {
    let (resource, _, changes) = schemas(kind);
    resource_operation(kind, "update", false)
        .summary(Some(format!(
            "Change a {}: the fields given replace the stored ones",
            kind.singular()
        )))
        .parameter(id_parameter())
        .parameter(if_match())
        .request_body(Some(body(changes)))
        .response("200", versioned(resource))
        .response("400", error(MALFORMED))
        .response("404", error(NOT_FOUND))
        .response("409", error(CONFLICT))
        .response("412", error(STALE))
        .response("413", error(TOO_LARGE))
        .response("422", error(INVALID))
        .build()
}

fn delete(kind: ResourceKind) -> Operation {
    resource_operation(kind, "delete", false)
        .summary(Some(format!("Delete a {}", kind.singular())))
        .parameter(id_parameter())
        .parameter(if_match())
        .response(
            "204",
            ResponseBuilder::new().description("Deleted.").build(),
        )
        .response("400", error("`If-Match` cannot be read."))
        .response("404", error(NOT_FOUND))
        .response("409", error("Other resources still use it."))
        .response("412", error(STALE))
        .build()
}

fn health() -> Operation {
    let word = |example: &str| string_schema().examples([example]);
    let status = ObjectBuilder::new()
        .property("status", word("ok"))
        .property("database", word("reachable"))
        .required("status")
        .required("database")
        .build();
    let answer = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(status.clone())).build(),
            )
            .build()
    };

    OperationBuilder::new()
        .tag(SERVICE)
        .operation_id(Some("health"))
        .summary(Some("Whether the service and its database are up"))
        .security(SecurityRequirement::default())
        .response("200", answer("Up, and the database answers."))
        .response("503", answer("The database does not answer."))
        .build()
}

const UNAUTHORIZED: &str = "No `Authorization: Bearer` token, or not the right one.";
const UNAVAILABLE: &str = "The configuration database is unreachable.";
const MALFORMED: &str = "The body is not JSON, or `If-Match` cannot be read.";
const CONFLICT: &str = "The name or key is taken, the body's `version` is not the stored one, \
     or the change would break other resources (named in `faults`).";
const TOO_LARGE: &str = "The body is larger than 1 MiB.";
const INVALID: &str = "The body has the wrong shape (an unknown field, a wrong type, a missing \
     field), or the resource as written would not be valid; `field` and `faults` say where.";
const NOT_FOUND: &str = "No resource of this kind has that id.";
const STALE: &str = "`If-Match` names a version other than the stored one.";

/// The management API's error body.
fn error(description: &str) -> Response {
    json_response(description, "ManagementError")
}

fn body(schema: &str) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/json", schema_content(schema))
        .build()
}

/// A resource, with its version as the `ETag`.
fn versioned(resource: &str) -> Response {
    ResponseBuilder::new()
        .description("The resource.")
        .content("application/json", schema_content(resource))
        .header("ETag", string_header("The version, quoted: `\"3\"`."))
        .build()
}

fn id_parameter() -> Parameter {
    let mut parameter = path_parameter("id", "The resource's id.");
    parameter.schema = Some(
        string_schema()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .into(),
    );
    parameter
}

fn if_match() -> Parameter {
    optional_header(
        "If-Match",
        "Change only if the stored version is one of these ETags (`\"3\"`, `W/\"3\"`, a list), \
         or any with `*`.",
    )
}

fn query_parameter(name: &str, schema: ObjectBuilder) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .schema(Some(schema))
        .build()
}

#[cfg(test)]
mod tests;
