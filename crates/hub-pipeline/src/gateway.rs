//! The gateway's HTTP surface: routes, and the path of a request from bytes to pipeline and
//! back.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hub_core::embeddings::EncodingFormat;
use hub_core::models::{Model, ModelList};
use hub_core::{BoxFuture, ChatResponse, CompletionResponse};
use metrics_exporter_prometheus::PrometheusHandle;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::FutureExt;
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use serde::Serialize;
use tokio::sync::Semaphore;
use tower::{Service, ServiceExt};
use tracing::Instrument;

use crate::error::GatewayError;
use crate::limits::ConnectionLimits;
use crate::operation::{Operation, OperationResponse, Output};
use crate::pipeline::Pipeline;
use crate::request::{Prepared, prepare, read_body_within};
use crate::routes::{Route, route, unknown_route};
use crate::snapshot::{PipelineChoiceError, Snapshot};
use crate::stream::sse_body;
use crate::telemetry::metrics::{self, Meter};

/// The body of every response the gateway sends.
pub type ResponseBody = UnsyncBoxBody<Bytes, Infallible>;

/// Names the pipeline a request goes to.
pub(crate) const PIPELINE_HEADER: &str = "x-traceloop-pipeline";
const REQUEST_ID_HEADER: &str = "x-request-id";

/// The gateway as a tower service over HTTP requests. Cloning is cheap, and clones share
/// the configuration they serve.
#[derive(Debug, Clone)]
pub struct Gateway {
    snapshot: Arc<ArcSwap<Snapshot>>,
    metrics: Option<PrometheusHandle>,
    /// The bytes of request bodies the gateway may hold at once, over every request.
    bodies: Arc<Semaphore>,
}

impl Gateway {
    /// A gateway serving `snapshot`.
    pub fn new(snapshot: Snapshot) -> Self {
        let bodies = Arc::new(Semaphore::new(snapshot.requests.max_buffered_body_bytes));
        Gateway {
            snapshot: Arc::new(ArcSwap::from_pointee(snapshot)),
            metrics: None,
            bodies,
        }
    }

    /// Serves `GET /metrics` from `handle`, the recorder [`crate::telemetry::metrics::install`]
    /// returned.
    pub fn with_metrics(mut self, handle: PrometheusHandle) -> Self {
        self.metrics = Some(handle);
        self
    }

    /// Serves `snapshot` from the next request on. Requests in flight finish on the
    /// snapshot they started with.
    pub fn reload(&self, snapshot: Snapshot) {
        self.snapshot.store(Arc::new(snapshot));
    }

    /// The connection limits of the snapshot served now.
    pub(crate) fn connection_limits(&self) -> ConnectionLimits {
        self.snapshot.load().connections
    }
}

impl<B> Service<Request<B>> for Gateway
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<ResponseBody>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let started = Instant::now();
        let snapshot = self.snapshot.load_full();
        let metrics = self.metrics.clone();
        let bodies = Arc::clone(&self.bodies);
        let request_id = request_id(request.headers());
        let span = tracing::debug_span!(
            "request",
            id = %request_id,
            method = %request.method(),
            path = request.uri().path(),
            access_key = tracing::field::Empty,
        );

        Box::pin(
            async move {
                let served = handle(&snapshot, metrics.as_ref(), &bodies, request, started);
                let mut response = match served.await {
                    Ok(response) => response,
                    Err(error) => {
                        let status = error.status().as_u16();
                        let text = error.log_text(snapshot.trace_content);
                        tracing::debug!(error = %text, status, "refused");
                        error.into_response()
                    }
                };
                if let Ok(value) = HeaderValue::try_from(request_id) {
                    response.headers_mut().insert(REQUEST_ID_HEADER, value);
                }
                Ok(response)
            }
            .instrument(span),
        )
    }
}

async fn handle<B>(
    snapshot: &Snapshot,
    metrics: Option<&PrometheusHandle>,
    bodies: &Arc<Semaphore>,
    request: Request<B>,
    started: Instant,
) -> Result<Response<ResponseBody>, GatewayError>
where
    B: Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let path = request.uri().path();
    let route = route(request.method(), path);
    // Unknown paths and methods need a key too, so a caller without one learns nothing of
    // what the gateway serves.
    if !route.as_ref().is_ok_and(Route::is_open)
        && let Some(name) = snapshot.access_keys.check(request.headers())?
    {
        tracing::Span::current().record("access_key", &*name);
    }
    let route = route?;
    let pipeline_name = request
        .headers()
        .get(PIPELINE_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);

    match route {
        Route::Health => Ok(json_response(
            StatusCode::OK,
            &serde_json::json!({"status": "ok"}),
        )),
        Route::Models => Ok(json_response(
            StatusCode::OK,
            &models(snapshot, pipeline_name.as_deref())?,
        )),
        Route::Model(id) => {
            let list = models(snapshot, pipeline_name.as_deref())?;
            let model = list
                .data
                .into_iter()
                .find(|model| model.id == id)
                .ok_or_else(|| GatewayError::NotFound {
                    message: format!("The model `{id}` does not exist."),
                    code: "model_not_found",
                })?;
            Ok(json_response(StatusCode::OK, &model))
        }
        Route::Metrics => {
            let handle = metrics.ok_or_else(|| unknown_route("/metrics"))?;
            metrics::runtime();
            let mut response = Response::new(full_body(Bytes::from(handle.render())));
            let text = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
            response.headers_mut().insert(header::CONTENT_TYPE, text);
            Ok(response)
        }
        Route::Spec => Ok(static_response(
            "application/json",
            crate::openapi::spec_json(),
        )),
        Route::SwaggerUi => {
            if let Some(location) = hub_core::openapi::swagger_ui_redirect(path) {
                return Ok(redirect(location));
            }
            let file = hub_core::openapi::swagger_ui(path).ok_or_else(|| unknown_route(path))?;
            Ok(static_response(
                file.content_type,
                Bytes::from_static(file.body),
            ))
        }
        Route::Operation(operation) => {
            let pipeline = choose_pipeline(snapshot, pipeline_name.as_deref(), operation)?;
            let meter = Meter::start(Arc::clone(&pipeline.name), operation.name(), started);
            serve(
                snapshot, pipeline, operation, bodies, request, meter, started,
            )
            .await
        }
    }
}

/// Serves an operation through `pipeline`, metering it; its body is read within `bodies`.
async fn serve<B>(
    snapshot: &Snapshot,
    pipeline: &Pipeline,
    operation: Operation,
    bodies: &Arc<Semaphore>,
    request: Request<B>,
    meter: Meter,
    started: Instant,
) -> Result<Response<ResponseBody>, GatewayError>
where
    B: Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let (parts, body) = request.into_parts();
    // The body's bytes stay taken from the budget while its decoded request is served.
    let prepared = async {
        let (body, taken) =
            read_body_within(&parts.headers, body, &snapshot.requests, bodies).await?;
        Ok::<_, GatewayError>((prepare(operation, &body, &snapshot.requests)?, taken))
    };
    let (prepared, _taken) = match prepared.await {
        Ok(prepared) => prepared,
        Err(error) => {
            meter.finish(error.status().as_u16());
            return Err(error);
        }
    };

    let Prepared {
        request,
        client_wants_usage,
        encoding,
    } = prepared;
    let call = pipeline.service.clone().oneshot(request);
    let response = if pipeline.traced {
        // The client's W3C trace, continued by the pipeline's server span.
        let parent = TraceContextPropagator::new().extract(&HeaderExtractor(&parts.headers));
        call.with_context(parent).await
    } else {
        call.await
    };
    match response {
        Ok(response) => respond(response, client_wants_usage, encoding, meter, started),
        Err(error) => {
            meter.finish(error.status().as_u16());
            Err(error)
        }
    }
}

fn choose_pipeline<'a>(
    snapshot: &'a Snapshot,
    name: Option<&str>,
    operation: Operation,
) -> Result<&'a Pipeline, GatewayError> {
    snapshot
        .pipeline(name, operation.pipeline_type())
        .map_err(|error| match error {
            PipelineChoiceError::Unknown => GatewayError::NotFound {
                message: format!("No pipeline named `{}`.", name.unwrap_or_default()),
                code: "pipeline_not_found",
            },
            PipelineChoiceError::WrongType(found) => GatewayError::BadRequest {
                message: format!(
                    "Pipeline `{}` is a {found} pipeline and does not serve {}.",
                    name.unwrap_or_default(),
                    operation.path()
                ),
                param: None,
                code: Some("pipeline_mismatch"),
            },
            PipelineChoiceError::NoneServes => GatewayError::NotFound {
                message: format!("No pipeline serves {}.", operation.path()),
                code: "pipeline_not_found",
            },
        })
}

fn respond(
    response: OperationResponse,
    wants_usage: bool,
    encoding: EncodingFormat,
    mut meter: Meter,
    started: Instant,
) -> Result<Response<ResponseBody>, GatewayError> {
    meter.served_by(&response.route);
    let route = Arc::clone(&response.route);
    let pipeline = meter.pipeline();

    let mut http = match response.output {
        Output::Chat(ChatResponse::Complete(completion)) => {
            meter_usage(&meter, completion.usage.as_ref());
            json_response(StatusCode::OK, &completion)
        }
        Output::Chat(ChatResponse::Stream(chunks)) => {
            event_stream(sse_body(chunks, wants_usage, meter))
        }
        Output::Completion(CompletionResponse::Complete(completion)) => {
            meter_usage(&meter, completion.usage.as_ref());
            json_response(StatusCode::OK, &completion)
        }
        Output::Completion(CompletionResponse::Stream(chunks)) => {
            event_stream(sse_body(chunks, wants_usage, meter))
        }
        Output::Embeddings(mut embeddings) => {
            if let Err(error) = embeddings.encode_as(encoding) {
                let error = GatewayError::Provider(hub_core::Error::UpstreamProtocol {
                    provider: route.provider_key.to_string(),
                    message: error.to_string(),
                });
                meter.finish(error.status().as_u16());
                return Err(error);
            }
            meter.usage(embeddings.usage.prompt_tokens, None);
            json_response(StatusCode::OK, &embeddings)
        }
    };

    let headers = http.headers_mut();
    insert_text(headers, "x-hub-model", &route.key);
    insert_text(headers, "x-hub-provider", &route.provider_key);
    let pipeline_time = started.elapsed().saturating_sub(response.upstream);
    metrics::overhead(&pipeline, pipeline_time);
    Ok(http)
}

/// Records a whole answer's tokens, and the request as served: dropping the meter does.
fn meter_usage(meter: &Meter, usage: Option<&hub_core::Usage>) {
    if let Some(usage) = usage {
        meter.usage(usage.prompt_tokens, Some(usage.completion_tokens));
    }
}

fn models(snapshot: &Snapshot, pipeline: Option<&str>) -> Result<ModelList, GatewayError> {
    let pipelines: Vec<&Pipeline> = match pipeline {
        Some(name) => {
            let found = snapshot.pipelines.iter().find(|p| &*p.name == name);
            vec![found.ok_or_else(|| GatewayError::NotFound {
                message: format!("No pipeline named `{name}`."),
                code: "pipeline_not_found",
            })?]
        }
        None => snapshot.pipelines.iter().collect(),
    };

    let mut data: Vec<Model> = Vec::new();
    for route in pipelines.iter().flat_map(|pipeline| &pipeline.routes) {
        if !data.iter().any(|model| *model.id == *route.key) {
            data.push(Model::new(
                &*route.key,
                snapshot.created,
                &*route.provider_key,
            ));
        }
    }
    Ok(ModelList::new(data))
}

pub(crate) fn full_body(bytes: Bytes) -> ResponseBody {
    Full::new(bytes).boxed_unsync()
}

fn json_response(status: StatusCode, value: &impl Serialize) -> Response<ResponseBody> {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = Response::new(full_body(Bytes::from(body)));
            *response.status_mut() = status;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(error) => {
            let error = hub_core::Error::Internal(format!("cannot encode the response: {error}"));
            GatewayError::Provider(error).into_response()
        }
    }
}

fn static_response(content_type: &'static str, body: Bytes) -> Response<ResponseBody> {
    let mut response = Response::new(full_body(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A permanent redirect to `location`, relative to the path asked for.
fn redirect(location: &'static str) -> Response<ResponseBody> {
    let mut response = Response::new(full_body(Bytes::new()));
    *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
    let location = HeaderValue::from_static(location);
    response.headers_mut().insert(header::LOCATION, location);
    response
}

fn event_stream(body: ResponseBody) -> Response<ResponseBody> {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn insert_text(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::try_from(value) {
        headers.insert(name, value);
    }
}

/// The client's request id when it sent a usable one, else a new one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 128)
        // A UUID from the thread's generator: no system call on the hot path.
        .map_or_else(
            || uuid::Uuid::from_u128(rand::random()).simple().to_string(),
            str::to_owned,
        )
}
