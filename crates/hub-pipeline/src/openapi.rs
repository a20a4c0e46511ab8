//! The gateway's OpenAPI 3.1 spec, served at `/openapi.json`: one operation for each entry of
//! the route table, with the schemas the wire types derive, so neither can drift from the code.

use std::sync::OnceLock;

use bytes::Bytes;
use hub_core::ErrorBody;
use hub_core::chat::{ChatCompletion, ChatCompletionChunk, ChatCompletionRequest};
use hub_core::completion::{Completion, CompletionRequest};
use hub_core::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use hub_core::models::{Model, ModelList};
use hub_core::openapi::{
    add_schema, bearer_scheme, json_response, optional_header, path_parameter, schema_content,
    spec_operation, string_header, string_schema, swagger_asset_operation, swagger_ui_operation,
    text_response,
};
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, Parameter};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    Components, ComponentsBuilder, Content, ContentBuilder, InfoBuilder, ObjectBuilder, OpenApi,
    OpenApiBuilder, Paths, Required, Response, ResponseBuilder,
};

use crate::gateway::PIPELINE_HEADER;
use crate::operation::Operation as GatewayOperation;
use crate::routes::{ROUTES, Target};

const OPENAI: &str = "OpenAI-compatible";
const SERVICE: &str = "Service";

/// The spec as JSON, built on first use.
pub(crate) fn spec_json() -> Bytes {
    static JSON: OnceLock<Vec<u8>> = OnceLock::new();
    Bytes::from_static(hub_core::openapi::spec_json(&JSON, spec))
}

/// The gateway's spec.
pub(crate) fn spec() -> OpenApi {
    let mut paths = Paths::new();
    for (method, path, target) in ROUTES {
        let method = if *method == "POST" {
            HttpMethod::Post
        } else {
            HttpMethod::Get
        };
        paths.add_path_operation(*path, vec![method], operation(*target));
    }

    let info = InfoBuilder::new()
        .title("Hub gateway")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "OpenAI-compatible API in front of every configured provider. Every path under \
             `/api/v1` is served under `/v1` too, so a client's base URL may end in either. \
             A method a path does not serve is answered 405 with an `Allow` header.",
        ));
    let tags = [
        TagBuilder::new()
            .name(OPENAI)
            .description(Some("The OpenAI API, routed through pipelines.")),
        TagBuilder::new()
            .name(SERVICE)
            .description(Some("Health, metrics and this documentation.")),
    ];
    OpenApiBuilder::new()
        .info(info)
        .paths(paths)
        .components(Some(components()))
        .tags(Some(tags.map(TagBuilder::build)))
        // Client access keys are optional: `{}` lets a request go without one.
        .security(Some([
            SecurityRequirement::default(),
            SecurityRequirement::new("bearer", Vec::<String>::new()),
        ]))
        .build()
}

fn components() -> Components {
    let mut schemas = Vec::new();
    add_schema::<ChatCompletionRequest>(&mut schemas);
    add_schema::<ChatCompletion>(&mut schemas);
    add_schema::<ChatCompletionChunk>(&mut schemas);
    add_schema::<CompletionRequest>(&mut schemas);
    add_schema::<Completion>(&mut schemas);
    add_schema::<EmbeddingsRequest>(&mut schemas);
    add_schema::<EmbeddingsResponse>(&mut schemas);
    add_schema::<ModelList>(&mut schemas);
    add_schema::<Model>(&mut schemas);
    add_schema::<ErrorBody>(&mut schemas);

    let bearer =
        bearer_scheme("A client access key, when the gateway is configured to require one.");
    ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .security_scheme("bearer", bearer)
        .build()
}

fn operation(target: Target) -> Operation {
    let mut operation = match target {
        Target::Operation(operation) => api_operation(operation),
        Target::Models => OperationBuilder::new()
            .tag(OPENAI)
            .operation_id(Some("listModels"))
            .summary(Some("The models the pipelines route to"))
            .parameter(pipeline_header("Lists only this pipeline's models."))
            .response("200", json_response("The models.", "ModelList"))
            .response("401", error_response(UNAUTHORIZED))
            .response("404", error_response("No pipeline by the header's name."))
            .build(),
        Target::Model => OperationBuilder::new()
            .tag(OPENAI)
            .operation_id(Some("retrieveModel"))
            .summary(Some("One model the pipelines route to"))
            .parameter(path_parameter("model", "The model's key; it may hold `/`."))
            .parameter(pipeline_header("Looks only among this pipeline's models."))
            .response("200", json_response("The model.", "Model"))
            .response("401", error_response(UNAUTHORIZED))
            .response(
                "404",
                error_response("No such model, or no pipeline by the header's name."),
            )
            .build(),
        Target::Health => service_operation("health", "Whether the gateway serves")
            .response("200", health_response())
            .build(),
        Target::Metrics => service_operation("metrics", "Prometheus metrics")
            .response(
                "200",
                text_response("The metrics in Prometheus' text format.", &["text/plain"]),
            )
            .response(
                "404",
                error_response("Metrics are not recorded by this gateway."),
            )
            .build(),
        Target::Spec => spec_operation(SERVICE),
        Target::SwaggerUi => swagger_ui_operation(SERVICE),
        Target::SwaggerAsset => swagger_asset_operation(SERVICE, error_response("No such file.")),
    };

    // All but the probes wait their turn under the limit of requests served at once.
    if !matches!(target, Target::Health | Target::Metrics) {
        let overloaded = error_response(OVERLOADED).into();
        operation
            .responses
            .responses
            .insert("503".to_owned(), overloaded);
    }
    operation
}

const OVERLOADED: &str =
    "The gateway is serving as many requests as it allows at once; retry shortly.";

const UNAUTHORIZED: &str = "Client access keys are required, and none or an unknown one was sent.";

/// The statuses an operation through a pipeline may answer with, besides success.
const OPERATION_ERRORS: &[(&str, &str)] = &[
    (
        "400",
        "The body is not valid JSON, or not a valid request; or the pipeline named does not \
         serve this operation; or the provider refused the request as invalid.",
    ),
    ("401", UNAUTHORIZED),
    (
        "404",
        "No pipeline by the header's name, no pipeline serves this operation, no route to the \
         model, or the provider does not know it.",
    ),
    (
        "408",
        "The body did not arrive within the configured `request_body_timeout_ms`.",
    ),
    ("409", "The provider refused the request as conflicting."),
    (
        "413",
        "The body is larger than the configured `max_request_body_bytes`, or than the \
         provider accepts.",
    ),
    ("415", "`Content-Type` is not `application/json`."),
    ("422", "The provider could not process the request."),
    (
        "429",
        "The provider's rate limit; `Retry-After` says when to try again if the provider said.",
    ),
    ("500", "Hub failed on its own side."),
    (
        "502",
        "The provider failed, could not be reached, refused Hub's credentials, or answered \
         with something that is not its API.",
    ),
    ("504", "The provider did not answer in time."),
];

fn api_operation(operation: GatewayOperation) -> Operation {
    let (id, summary, request, response, chunk) = match operation {
        GatewayOperation::Chat => (
            "createChatCompletion",
            "Chat completion",
            "ChatCompletionRequest",
            "ChatCompletion",
            Some("ChatCompletionChunk"),
        ),
        GatewayOperation::Completion => (
            "createCompletion",
            "Legacy text completion",
            "CompletionRequest",
            "Completion",
            Some("Completion"),
        ),
        GatewayOperation::Embeddings => (
            "createEmbedding",
            "Embeddings",
            "EmbeddingsRequest",
            "EmbeddingsResponse",
            None,
        ),
    };

    let body = RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/json", schema_content(request))
        .build();
    let mut success = ResponseBuilder::new()
        .description("The answer, and the model and provider that served it.")
        .content("application/json", schema_content(response))
        .header(
            "x-hub-model",
            string_header("The key of the model that served the request."),
        )
        .header(
            "x-hub-provider",
            string_header("The key of the provider that served it."),
        );
    if let Some(chunk) = chunk {
        success = success.content("text/event-stream", event_stream(chunk));
    }

    let mut builder = OperationBuilder::new()
        .tag(OPENAI)
        .operation_id(Some(id))
        .summary(Some(summary))
        .parameter(pipeline_header(
            "The pipeline to serve the request. Without it, the pipeline named `default` if it \
             serves the operation, else the first that does.",
        ))
        .request_body(Some(body))
        .response("200", success.build());
    for (status, description) in OPERATION_ERRORS {
        builder = builder.response(*status, error_response(description));
    }
    builder.build()
}

/// A stream of server-sent events: each `data:` line holds one chunk.
fn event_stream(chunk: &str) -> Content {
    let description = format!(
        "With `\"stream\": true`: server-sent events, each `data:` line a `{chunk}` as JSON, \
         ending with `data: [DONE]`."
    );
    ContentBuilder::new()
        .schema(Some(string_schema().description(Some(description))))
        .build()
}

fn service_operation(id: &str, summary: &str) -> OperationBuilder {
    OperationBuilder::new()
        .tag(SERVICE)
        .operation_id(Some(id))
        .summary(Some(summary))
}

fn pipeline_header(description: &str) -> Parameter {
    optional_header(PIPELINE_HEADER, description)
}

/// OpenAI's error body.
fn error_response(description: &str) -> Response {
    json_response(description, "ErrorBody")
}

/// `{"status": "ok"}`.
fn health_response() -> Response {
    let schema = ObjectBuilder::new()
        .property("status", string_schema().examples(["ok"]))
        .required("status");
    let content = ContentBuilder::new().schema(Some(schema)).build();
    ResponseBuilder::new()
        .description("It serves.")
        .content("application/json", content)
        .build()
}

#[cfg(test)]
mod tests;
