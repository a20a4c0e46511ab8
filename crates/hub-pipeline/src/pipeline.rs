//! A pipeline: its plugins stacked as tower layers around the model router.

use std::collections::HashMap;
use std::sync::Arc;

use hub_core::config::{PipelineConfig, PipelineType, PluginConfig};
use tower::Layer;
use tower::util::BoxCloneSyncService;

use crate::error::GatewayError;
use crate::operation::{OperationRequest, OperationResponse};
use crate::plugins::logging::LoggingLayer;
use crate::plugins::model_router::ModelRouter;
use crate::snapshot::{BuildError, Route};

/// The service a pipeline compiles to.
pub(crate) type PipelineService =
    BoxCloneSyncService<OperationRequest, OperationResponse, GatewayError>;

/// A compiled pipeline.
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub(crate) name: Arc<str>,
    pub(crate) pipeline_type: PipelineType,
    /// The models the router may call, in the order the configuration lists them.
    pub(crate) routes: Vec<Arc<Route>>,
    pub(crate) service: PipelineService,
}

/// Builds the pipeline at `index` of the configuration.
///
/// Plugins wrap one another in the order they are listed, the first outermost. The model
/// router is always the innermost service, wherever it is listed, since it is the one
/// that answers.
pub(crate) fn build(
    index: usize,
    config: &PipelineConfig,
    routes: &HashMap<String, Arc<Route>>,
) -> Result<Pipeline, BuildError> {
    let name: Arc<str> = Arc::from(config.name.as_str());
    let router = config.model_router().ok_or_else(|| BuildError::Reference {
        path: format!("pipelines[{index}].plugins"),
        message: "a pipeline needs a model-router plugin".to_owned(),
    })?;
    let pipeline_routes = router
        .models
        .iter()
        .map(|key| {
            routes
                .get(key)
                .cloned()
                .ok_or_else(|| BuildError::Reference {
                    path: format!("pipelines[{index}].model-router.models"),
                    message: format!("no model named {key:?}"),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut service = PipelineService::new(ModelRouter::new(
        Arc::clone(&name),
        pipeline_routes.clone(),
        router,
    ));
    for plugin in config.plugins.iter().rev() {
        service = match plugin {
            PluginConfig::Logging(logging) => {
                let layer = LoggingLayer::new(Arc::clone(&name), logging.level);
                PipelineService::new(layer.layer(service))
            }
            PluginConfig::Tracing(tracing) => {
                // TODO: export spans over OTLP; until then the plugin is accepted and inert.
                tracing::warn!(
                    pipeline = %name,
                    endpoint = %tracing.endpoint,
                    "the tracing plugin does not export spans yet in this version"
                );
                service
            }
            PluginConfig::ModelRouter(_) => service,
        };
    }

    Ok(Pipeline {
        name,
        pipeline_type: config.pipeline_type,
        routes: pipeline_routes,
        service,
    })
}
