//! The `model-router` plugin: picks the model a request names among the pipeline's models,
//! and calls its provider.

use std::sync::Arc;
use std::task::{Context, Poll};

use hub_core::BoxFuture;
use tower::Service;

use crate::error::GatewayError;
use crate::operation::{OperationRequest, OperationResponse, Output};
use crate::snapshot::Route;

/// The innermost service of every pipeline.
#[derive(Debug, Clone)]
pub(crate) struct ModelRouter {
    pipeline: Arc<str>,
    routes: Arc<[Arc<Route>]>,
}

impl ModelRouter {
    pub(crate) fn new(pipeline: Arc<str>, routes: Vec<Arc<Route>>) -> Self {
        ModelRouter {
            pipeline,
            routes: routes.into(),
        }
    }

    /// The route for `model`: a model whose key it is, else one whose provider model id it
    /// is, as configurations of the original Hub let clients send either.
    fn resolve(&self, model: &str) -> Result<Arc<Route>, GatewayError> {
        self.routes
            .iter()
            .find(|route| &*route.key == model)
            .or_else(|| {
                self.routes
                    .iter()
                    .find(|route| route.model.model_type == model)
            })
            .cloned()
            .ok_or_else(|| GatewayError::NotFound {
                message: format!(
                    "The model `{model}` does not exist or is not served by pipeline `{}`.",
                    self.pipeline
                ),
                code: "model_not_found",
            })
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
        let route = self.resolve(request.model());

        Box::pin(async move {
            let route = route?;
            let provider = &route.provider;
            let output = match request {
                OperationRequest::Chat(request) => {
                    Output::Chat(provider.chat_completion(&route.model, request).await?)
                }
                OperationRequest::Completion(request) => {
                    Output::Completion(provider.completion(&route.model, request).await?)
                }
                OperationRequest::Embeddings(request) => {
                    Output::Embeddings(provider.embeddings(&route.model, request).await?)
                }
            };
            Ok(OperationResponse {
                output,
                model: Arc::clone(&route.key),
                provider: Arc::clone(&route.provider_key),
            })
        })
    }
}
