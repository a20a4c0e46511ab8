//! The `model-router` plugin: picks the model for a request among the pipeline's models,
//! and keeps the call alive when one fails: retries with backoff, falls back to other
//! models, balances load, and ejects models that keep failing.
//!
//! A failed attempt is retried or passed to another model only when nothing has reached
//! the client yet (a stream counts as started once its first chunk arrived) and the error
//! is one a retry may help: unreachable, timed out, rate limited, or failed upstream.

mod attempt;
mod health;
mod retry;
mod strategy;

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hub_core::BoxFuture;
use hub_core::config::{EjectionConfig, ModelRouterConfig, RetryConfig, RouterStrategy};
use tower::Service;

pub(crate) use health::ModelHealth;

use crate::error::GatewayError;
use crate::operation::{OperationRequest, OperationResponse};
use crate::snapshot::Route;
use crate::telemetry::{metrics, spans};

/// The innermost service of every pipeline. Cloning is cheap.
#[derive(Debug, Clone)]
pub(crate) struct ModelRouter {
    inner: Arc<Router>,
}

#[derive(Debug)]
struct Router {
    pipeline: Arc<str>,
    routes: Vec<Arc<Route>>,
    /// The weight of each route, in the same order.
    weights: Vec<u32>,
    strategy: RouterStrategy,
    retry: RetryConfig,
    ejection: EjectionConfig,
    /// The exporter of the pipeline's spans, when it has a `tracing` plugin.
    export: Option<i64>,
    /// Whether logs and spans may hold what a provider's error says.
    content: bool,
}

impl ModelRouter {
    pub(crate) fn new(
        pipeline: Arc<str>,
        routes: Vec<Arc<Route>>,
        config: &ModelRouterConfig,
        export: Option<i64>,
        content: bool,
    ) -> Self {
        let weights = routes
            .iter()
            .map(|route| config.weights.get(&*route.key).copied().unwrap_or(1))
            .collect();
        ModelRouter {
            inner: Arc::new(Router {
                pipeline,
                routes,
                weights,
                strategy: config.strategy,
                retry: config.retry.clone(),
                ejection: config.ejection.clone(),
                export,
                content,
            }),
        }
    }
}

impl Router {
    /// The route for `model`: a model whose key it is, else one whose provider model id it
    /// is, as configurations of the original Hub let clients send either.
    fn resolve(&self, model: &str) -> Result<&Arc<Route>, GatewayError> {
        self.routes
            .iter()
            .find(|route| &*route.key == model)
            .or_else(|| {
                self.routes
                    .iter()
                    .find(|route| route.model.model_type == model)
            })
            .ok_or_else(|| GatewayError::NotFound {
                message: format!(
                    "The model `{model}` does not exist or is not served by pipeline `{}`.",
                    self.pipeline
                ),
                code: "model_not_found",
            })
    }

    /// Tries the candidates in turn, each with its retries, within the request's limits on
    /// attempts and time. Ejected models are passed over, unless every candidate is
    /// ejected: a model that may have recovered beats refusing the request outright.
    async fn route(&self, request: OperationRequest) -> Result<OperationResponse, GatewayError> {
        let requested = self.resolve(request.model())?;
        let candidates = strategy::order(self.strategy, requested, &self.routes, &self.weights);
        let mut progress = Progress::new(&self.retry);

        let mut admitted_any = false;
        for route in &candidates {
            // Asked lazily, right before use: admitting an ejected model takes its probe.
            if !route.health.admits(&self.ejection) {
                continue;
            }
            admitted_any = true;
            if let Some(served) = self.try_route(route, &request, &mut progress).await {
                return served;
            }
        }
        if !admitted_any {
            for route in &candidates {
                if let Some(served) = self.try_route(route, &request, &mut progress).await {
                    return served;
                }
            }
        }

        Err(progress
            .last_error
            .map_or_else(|| self.exhausted(), GatewayError::from))
    }

    /// Attempts `route` and retries it as configured. `Some` ends the request: served, or
    /// failed in a way no other attempt can mend. `None` passes it to the next candidate.
    async fn try_route(
        &self,
        route: &Arc<Route>,
        request: &OperationRequest,
        progress: &mut Progress,
    ) -> Option<Result<OperationResponse, GatewayError>> {
        if let Some(failed) = progress.failed_model.take() {
            metrics::retried(&self.pipeline, &failed, true);
        }

        for retry in 0..=self.retry.max_retries {
            if !progress.may_attempt(&self.retry) {
                return None;
            }
            if retry > 0 {
                metrics::retried(&self.pipeline, &route.key, false);
            }
            progress.attempts += 1;

            let started = Instant::now();
            let outcome = attempt::attempt(
                route,
                request.clone(),
                self.export,
                progress.attempts,
                self.content,
            );
            let error = match outcome.await {
                Ok(output) => {
                    route.health.record_success(started.elapsed());
                    return Some(Ok(OperationResponse {
                        output,
                        route: Arc::clone(route),
                        attempts: progress.attempts,
                        upstream: progress.started.elapsed(),
                    }));
                }
                Err(error) if !error.is_retryable() => return Some(Err(error.into())),
                Err(error) => error,
            };

            route.health.record_failure(&self.ejection);
            let attempt = progress.attempts;
            let text = spans::error_text(&error, self.content);
            tracing::warn!(model = %route.key, attempt, error = %text, "attempt failed");
            let wait = retry::backoff(&self.retry, retry, retry_after(&error));
            progress.last_error = Some(error);

            let retries_left = retry < self.retry.max_retries;
            if !retries_left || !progress.may_wait(&self.retry, wait) {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        progress.failed_model = Some(Arc::clone(&route.key));
        None
    }

    fn exhausted(&self) -> GatewayError {
        GatewayError::Provider(hub_core::Error::Internal(format!(
            "pipeline `{}` made no attempt within its retry limits",
            self.pipeline
        )))
    }
}

/// A request's attempts so far, against its limits.
struct Progress {
    started: Instant,
    budget: Duration,
    attempts: u32,
    last_error: Option<hub_core::Error>,
    /// The model that failed last, until the request moves on from it.
    failed_model: Option<Arc<str>>,
}

impl Progress {
    fn new(retry: &RetryConfig) -> Self {
        Progress {
            started: Instant::now(),
            budget: Duration::from_millis(retry.max_elapsed_ms),
            attempts: 0,
            last_error: None,
            failed_model: None,
        }
    }

    fn may_attempt(&self, retry: &RetryConfig) -> bool {
        let under_cap = retry.max_attempts.is_none_or(|cap| self.attempts < cap);
        under_cap && self.started.elapsed() < self.budget
    }

    /// Whether waiting `wait` before the next attempt still leaves time for it.
    fn may_wait(&self, retry: &RetryConfig, wait: Duration) -> bool {
        self.may_attempt(retry) && self.started.elapsed() + wait < self.budget
    }
}

fn retry_after(error: &hub_core::Error) -> Option<Duration> {
    match error {
        hub_core::Error::UpstreamStatus { retry_after, .. } => *retry_after,
        _ => None,
    }
}

impl Service<OperationRequest> for ModelRouter {
    type Response = OperationResponse;
    type Error = GatewayError;
    type Future = BoxFuture<'static, Result<OperationResponse, GatewayError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), GatewayError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: OperationRequest) -> Self::Future {
        let router = Arc::clone(&self.inner);
        Box::pin(async move { router.route(request).await })
    }
}
