//! A pipeline: its plugins stacked as tower layers around the model router.

use std::collections::HashMap;
use std::sync::Arc;

use hub_core::config::{PipelineConfig, PipelineType, PluginConfig, TracingConfig};
use tower::Layer;
use tower::util::BoxCloneSyncService;

use crate::error::GatewayError;
use crate::operation::{OperationRequest, OperationResponse};
use crate::plugins::logging::LoggingLayer;
use crate::plugins::model_router::ModelRouter;
use crate::plugins::trace::TracingLayer;
use crate::snapshot::{BuildError, Route};
use crate::telemetry::SpanExport;

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
    /// Whether the pipeline has a `tracing` plugin, and so continues the client's trace.
    pub(crate) traced: bool,
}

/// What building pipelines shares: exporters, one per distinct collector configuration,
/// and whether traces may hold content.
#[derive(Debug)]
pub(crate) struct Shared {
    exports: Vec<(TracingConfig, Arc<SpanExport>)>,
    trace_content: bool,
}

impl Shared {
    pub(crate) fn new(trace_content: bool) -> Self {
        Shared {
            exports: Vec::new(),
            trace_content,
        }
    }

    fn export(&mut self, config: &TracingConfig) -> Result<Arc<SpanExport>, String> {
        if let Some((_, export)) = self.exports.iter().find(|(known, _)| known == config) {
            return Ok(Arc::clone(export));
        }
        let export = SpanExport::start(config)?;
        self.exports.push((config.clone(), Arc::clone(&export)));
        Ok(export)
    }
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
    shared: &mut Shared,
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

    let export = config
        .plugins
        .iter()
        .find_map(|plugin| match plugin {
            PluginConfig::Tracing(tracing) => Some(tracing),
            _ => None,
        })
        .map(|tracing| shared.export(tracing))
        .transpose()
        .map_err(|message| BuildError::Reference {
            path: format!("pipelines[{index}].plugins.tracing"),
            message,
        })?;

    let router = ModelRouter::new(
        Arc::clone(&name),
        pipeline_routes.clone(),
        router,
        export.as_ref().map(|export| export.id()),
        shared.trace_content,
    );
    let mut service = PipelineService::new(router);
    for plugin in config.plugins.iter().rev() {
        service = match (plugin, &export) {
            (PluginConfig::Logging(logging), _) => {
                let layer = LoggingLayer::new(Arc::clone(&name), logging.level);
                PipelineService::new(layer.layer(service))
            }
            (PluginConfig::Tracing(_), Some(export)) => {
                let content = shared.trace_content;
                let layer = TracingLayer::new(Arc::clone(&name), Arc::clone(export), content);
                PipelineService::new(layer.layer(service))
            }
            (PluginConfig::Tracing(_) | PluginConfig::ModelRouter(_), _) => service,
        };
    }

    Ok(Pipeline {
        name,
        pipeline_type: config.pipeline_type,
        routes: pipeline_routes,
        service,
        traced: export.is_some(),
    })
}
