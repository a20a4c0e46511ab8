//! The routes: `/health`, and `GET|POST /api/v1/management/{collection}` and
//! `GET|PUT|DELETE /api/v1/management/{collection}/{id}` for providers, model definitions,
//! pipelines, secrets and API keys.

use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::Full;
use hub_core::BoxFuture;
use hub_core::openapi::match_path;
use serde::Serialize;
use tower::Service;
use uuid::Uuid;

use super::error::ApiError;
use super::input::{decode, etag, page_request, percent_encode, precondition, read_body};
use crate::fault::ResourceKind;
use crate::service::{
    ApiKey, CreatedApiKey, Management, ModelDefinition, Page, Pipeline, Provider, Secret,
};

/// Where management routes live.
pub(crate) const PREFIX: &str = "/api/v1/management";

/// The management API as a tower service over HTTP requests.
#[derive(Debug, Clone)]
pub struct Routes {
    management: Management,
}

impl Routes {
    pub fn new(management: Management) -> Routes {
        Routes { management }
    }
}

impl<B> Service<Request<B>> for Routes
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Full<Bytes>>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let management = self.management.clone();
        Box::pin(async move {
            let started = Instant::now();
            let method = request.method().clone();
            let path = request.uri().path().to_owned();

            let response = match handle(&management, request).await {
                Ok(response) => response,
                Err(error) => error.into_response(),
            };
            tracing::debug!(
                %method,
                path,
                status = response.status().as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "management request"
            );
            Ok(response)
        })
    }
}

/// Where a request goes.
enum Route {
    Health,
    Spec,
    SwaggerUi,
    List(ResourceKind),
    Create(ResourceKind),
    Get(ResourceKind, Uuid),
    Update(ResourceKind, Uuid),
    Delete(ResourceKind, Uuid),
}

/// What a path of [`ROUTES`] serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Health,
    Spec,
    SwaggerUi,
    SwaggerAsset,
    /// `/api/v1/management/{collection}`
    Collection(ResourceKind),
    /// `/api/v1/management/{collection}/{id}`
    Item(ResourceKind),
}

/// Every route: a method, its path as an OpenAPI template, and what it serves. The router
/// matches requests against this list and the OpenAPI spec is built from it, so no route can
/// be served undocumented.
#[rustfmt::skip]
pub(crate) const ROUTES: &[(&str, &str, Target)] = &[
    ("GET",    "/health",                                       Target::Health),
    ("GET",    "/openapi.json",                                 Target::Spec),
    ("GET",    "/swagger-ui",                                   Target::SwaggerUi),
    ("GET",    "/swagger-ui/{file}",                            Target::SwaggerAsset),
    ("GET",    "/api/v1/management/providers",                  Target::Collection(PROVIDER)),
    ("POST",   "/api/v1/management/providers",                  Target::Collection(PROVIDER)),
    ("GET",    "/api/v1/management/providers/{id}",             Target::Item(PROVIDER)),
    ("PUT",    "/api/v1/management/providers/{id}",             Target::Item(PROVIDER)),
    ("DELETE", "/api/v1/management/providers/{id}",             Target::Item(PROVIDER)),
    ("GET",    "/api/v1/management/model-definitions",          Target::Collection(MODEL)),
    ("POST",   "/api/v1/management/model-definitions",          Target::Collection(MODEL)),
    ("GET",    "/api/v1/management/model-definitions/{id}",     Target::Item(MODEL)),
    ("PUT",    "/api/v1/management/model-definitions/{id}",     Target::Item(MODEL)),
    ("DELETE", "/api/v1/management/model-definitions/{id}",     Target::Item(MODEL)),
    ("GET",    "/api/v1/management/pipelines",                  Target::Collection(PIPELINE)),
    ("POST",   "/api/v1/management/pipelines",                  Target::Collection(PIPELINE)),
    ("GET",    "/api/v1/management/pipelines/{id}",             Target::Item(PIPELINE)),
    ("PUT",    "/api/v1/management/pipelines/{id}",             Target::Item(PIPELINE)),
    ("DELETE", "/api/v1/management/pipelines/{id}",             Target::Item(PIPELINE)),
    ("GET",    "/api/v1/management/secrets",                    Target::Collection(SECRET)),
    ("POST",   "/api/v1/management/secrets",                    Target::Collection(SECRET)),
    ("GET",    "/api/v1/management/secrets/{id}",               Target::Item(SECRET)),
    ("PUT",    "/api/v1/management/secrets/{id}",               Target::Item(SECRET)),
    ("DELETE", "/api/v1/management/secrets/{id}",               Target::Item(SECRET)),
    ("GET",    "/api/v1/management/api-keys",                   Target::Collection(API_KEY)),
    ("POST",   "/api/v1/management/api-keys",                   Target::Collection(API_KEY)),
    ("GET",    "/api/v1/management/api-keys/{id}",              Target::Item(API_KEY)),
    ("PUT",    "/api/v1/management/api-keys/{id}",              Target::Item(API_KEY)),
    ("DELETE", "/api/v1/management/api-keys/{id}",              Target::Item(API_KEY)),
];

const PROVIDER: ResourceKind = ResourceKind::Provider;
const MODEL: ResourceKind = ResourceKind::ModelDefinition;
const PIPELINE: ResourceKind = ResourceKind::Pipeline;
const SECRET: ResourceKind = ResourceKind::Secret;
const API_KEY: ResourceKind = ResourceKind::ApiKey;

fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    let path = path.trim_end_matches('/');
    let mut allowed: Vec<&str> = Vec::new();
    for (verb, template, target) in ROUTES {
        let Some(parameter) = match_path(template, path) else {
            continue;
        };
        if method.as_str() == *verb {
            return to_route(verb, *target, parameter.unwrap_or_default());
        }
        allowed.push(verb);
    }

    if allowed.is_empty() {
        Err(ApiError::NotFound(format!("no route {path}")))
    } else {
        Err(ApiError::MethodNotAllowed {
            allow: allowed.join(", "),
        })
    }
}

fn to_route(method: &str, target: Target, parameter: &str) -> Result<Route, ApiError> {
    let route = match (target, method) {
        (Target::Health, _) => Route::Health,
        (Target::Spec, _) => Route::Spec,
        (Target::SwaggerUi | Target::SwaggerAsset, _) => Route::SwaggerUi,
        (Target::Collection(kind), "POST") => Route::Create(kind),
        (Target::Collection(kind), _) => Route::List(kind),
        (Target::Item(kind), method) => {
            // An id that is not a UUID names no resource, as an unknown one does not.
            let id = Uuid::parse_str(parameter).map_err(|_| {
                ApiError::NotFound(format!("no {} with id {parameter}", kind.singular()))
            })?;
            match method {
                "PUT" => Route::Update(kind, id),
                "DELETE" => Route::Delete(kind, id),
                _ => Route::Get(kind, id),
            }
        }
    };
    Ok(route)
}

async fn handle<B>(
    management: &Management,
    request: Request<B>,
) -> Result<Response<Full<Bytes>>, ApiError>
where
    B: Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let route = route(request.method(), request.uri().path())?;
    let (parts, body) = request.into_parts();

    match route {
        Route::Health => Ok(health(management).await),
        Route::Spec => Ok(file("application/json", super::openapi::spec_json())),
        Route::SwaggerUi => {
            let path = parts.uri.path();
            if let Some(location) = hub_core::openapi::swagger_ui_redirect(path) {
                return Ok(redirect(location));
            }
            let found = hub_core::openapi::swagger_ui(path)
                .ok_or_else(|| ApiError::NotFound(format!("no route {path}")))?;
            Ok(file(found.content_type, Bytes::from_static(found.body)))
        }
        Route::List(kind) => {
            let page = page_request(parts.uri.query())?;
            list(management, kind, &page).await
        }
        Route::Get(kind, id) => get(management, kind, id).await,
        Route::Create(kind) => {
            let body = read_body(&parts.headers, body).await?;
            create(management, kind, &body).await
        }
        Route::Update(kind, id) => {
            let condition = precondition(&parts.headers)?;
            let body = read_body(&parts.headers, body).await?;
            update(management, kind, id, &body, condition).await
        }
        Route::Delete(kind, id) => {
            let condition = precondition(&parts.headers)?;
            delete(management, kind, id, condition).await
        }
    }
}

async fn health(management: &Management) -> Response<Full<Bytes>> {
    match management.database().ping().await {
        Ok(()) => json(
            StatusCode::OK,
            &serde_json::json!({"status": "ok", "database": "reachable"}),
        ),
        Err(error) => {
            // Probes call often; the answer says it, and a log line each time would flood.
            tracing::debug!(%error, "health check: configuration database unreachable");
            json(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({"status": "unavailable", "database": "unreachable"}),
            )
        }
    }
}

async fn list(
    management: &Management,
    kind: ResourceKind,
    page: &crate::service::PageRequest,
) -> Result<Response<Full<Bytes>>, ApiError> {
    Ok(match kind {
        ResourceKind::Provider => paged(kind, page, management.list_providers(page).await?),
        ResourceKind::ModelDefinition => paged(kind, page, management.list_models(page).await?),
        ResourceKind::Pipeline => paged(kind, page, management.list_pipelines(page).await?),
        ResourceKind::Secret => paged(kind, page, management.list_secrets(page).await?),
        ResourceKind::ApiKey => paged(kind, page, management.list_api_keys(page).await?),
    })
}

async fn get(
    management: &Management,
    kind: ResourceKind,
    id: Uuid,
) -> Result<Response<Full<Bytes>>, ApiError> {
    Ok(match kind {
        ResourceKind::Provider => one(StatusCode::OK, &management.get_provider(id).await?),
        ResourceKind::ModelDefinition => one(StatusCode::OK, &management.get_model(id).await?),
        ResourceKind::Pipeline => one(StatusCode::OK, &management.get_pipeline(id).await?),
        ResourceKind::Secret => one(StatusCode::OK, &management.get_secret(id).await?),
        ResourceKind::ApiKey => one(StatusCode::OK, &management.get_api_key(id).await?),
    })
}

async fn create(
    management: &Management,
    kind: ResourceKind,
    body: &[u8],
) -> Result<Response<Full<Bytes>>, ApiError> {
    Ok(match kind {
        ResourceKind::Provider => created(kind, &management.create_provider(decode(body)?).await?),
        ResourceKind::ModelDefinition => {
            created(kind, &management.create_model(decode(body)?).await?)
        }
        ResourceKind::Pipeline => created(kind, &management.create_pipeline(decode(body)?).await?),
        ResourceKind::Secret => created(kind, &management.create_secret(decode(body)?).await?),
        ResourceKind::ApiKey => created(kind, &management.create_api_key(decode(body)?).await?),
    })
}

async fn update(
    management: &Management,
    kind: ResourceKind,
    id: Uuid,
    body: &[u8],
    condition: crate::service::Precondition,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let ok = StatusCode::OK;
    Ok(match kind {
        ResourceKind::Provider => one(
            ok,
            &management
                .update_provider(id, decode(body)?, condition)
                .await?,
        ),
        ResourceKind::ModelDefinition => one(
            ok,
            &management
                .update_model(id, decode(body)?, condition)
                .await?,
        ),
        ResourceKind::Pipeline => one(
            ok,
            &management
                .update_pipeline(id, decode(body)?, condition)
                .await?,
        ),
        ResourceKind::Secret => one(
            ok,
            &management
                .update_secret(id, decode(body)?, condition)
                .await?,
        ),
        ResourceKind::ApiKey => one(
            ok,
            &management
                .update_api_key(id, decode(body)?, condition)
                .await?,
        ),
    })
}

async fn delete(
    management: &Management,
    kind: ResourceKind,
    id: Uuid,
    condition: crate::service::Precondition,
) -> Result<Response<Full<Bytes>>, ApiError> {
    match kind {
        ResourceKind::Provider => management.delete_provider(id, condition).await?,
        ResourceKind::ModelDefinition => management.delete_model(id, condition).await?,
        ResourceKind::Pipeline => management.delete_pipeline(id, condition).await?,
        ResourceKind::Secret => management.delete_secret(id, condition).await?,
        ResourceKind::ApiKey => management.delete_api_key(id, condition).await?,
    }
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// A resource's id and version, for its `Location` and `ETag`.
trait Versioned: Serialize {
    fn id(&self) -> Uuid;
    fn version(&self) -> i64;
}

macro_rules! versioned {
    ($($resource:ty),*) => {$(
        impl Versioned for $resource {
            fn id(&self) -> Uuid {
                self.id
            }
            fn version(&self) -> i64 {
                self.version
            }
        }
    )*};
}

versioned!(Provider, ModelDefinition, Pipeline, Secret, ApiKey);

impl Versioned for CreatedApiKey {
    fn id(&self) -> Uuid {
        self.api_key.id
    }
    fn version(&self) -> i64 {
        self.api_key.version
    }
}

/// One resource, with its version as the `ETag`.
fn one(status: StatusCode, resource: &impl Versioned) -> Response<Full<Bytes>> {
    let mut response = json(status, resource);
    if let Ok(value) = HeaderValue::try_from(etag(resource.version())) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// A resource just created: 201, and where it lives.
fn created(kind: ResourceKind, resource: &impl Versioned) -> Response<Full<Bytes>> {
    let mut response = one(StatusCode::CREATED, resource);
    let location = format!("{PREFIX}/{}/{}", kind.collection(), resource.id());
    if let Ok(value) = HeaderValue::try_from(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// A page of a list: a JSON array, as the original Hub's clients read it, with the next
/// page in a `Link` header (RFC 8288) when there is one.
fn paged<T: Serialize>(
    kind: ResourceKind,
    request: &crate::service::PageRequest,
    page: Page<T>,
) -> Response<Full<Bytes>> {
    let mut response = json(StatusCode::OK, &page.items);
    if let Some(after) = &page.next_after {
        let mut link = format!(
            "<{PREFIX}/{}?after={}",
            kind.collection(),
            percent_encode(after)
        );
        if let Some(limit) = request.limit {
            link.push_str(&format!("&limit={limit}"));
        }
        link.push_str(">; rel=\"next\"");
        if let Ok(value) = HeaderValue::try_from(link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

fn file(content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A permanent redirect to `location`, relative to the path asked for.
fn redirect(location: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
    let location = HeaderValue::from_static(location);
    response.headers_mut().insert(header::LOCATION, location);
    response
}

fn json(status: StatusCode, value: &impl Serialize) -> Response<Full<Bytes>> {
    let Ok(body) = serde_json::to_vec(value) else {
        return ApiError::Internal.into_response();
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
