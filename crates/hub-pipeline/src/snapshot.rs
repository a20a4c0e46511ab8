//! A configuration compiled for serving: providers built, models resolved, pipelines
//! stacked, all before the first request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hub_core::Provider;
use hub_core::config::{HubConfig, ModelConfig, PipelineType};

use crate::access::{AccessKeyError, AccessKeys};
use crate::limits::{ConnectionLimits, RequestLimits};
use crate::pipeline::{self, Pipeline};
use crate::plugins::model_router::ModelHealth;

/// A model ready to be called: its definition and the provider adapter that serves it.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) key: Arc<str>,
    pub(crate) model: ModelConfig,
    pub(crate) provider_key: Arc<str>,
    pub(crate) provider: Arc<dyn Provider>,
    /// Shared by every pipeline that routes to the model.
    pub(crate) health: ModelHealth,
}

/// Why a configuration could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A provider adapter could not be built.
    #[error("providers[{index}] ({key}): {source}")]
    Provider {
        index: usize,
        key: String,
        source: hub_providers::BuildError,
    },
    /// A reference that validation should have caught: the configuration was not validated.
    #[error("{path}: {message}")]
    Reference { path: String, message: String },
    /// An access key that validation should have refused.
    #[error(transparent)]
    AccessKey(#[from] AccessKeyError),
}

/// An immutable, compiled configuration. In-flight requests keep the snapshot they
/// started with.
#[derive(Debug)]
pub struct Snapshot {
    pub(crate) pipelines: Vec<Pipeline>,
    pub(crate) access_keys: AccessKeys,
    pub(crate) requests: RequestLimits,
    /// Read by [`crate::serve`] when it starts; later snapshots' are not used.
    pub(crate) connections: ConnectionLimits,
    /// When the snapshot was built, in Unix seconds: the `created` of listed models.
    pub(crate) created: u64,
    /// Whether logs and spans may hold content: prompts, and what a provider's error says.
    pub(crate) trace_content: bool,
}

impl Snapshot {
    /// Compiles a configuration that `hub-config` has validated. Must run inside a tokio
    /// runtime when a pipeline has a `tracing` plugin: its exporter runs there.
    ///
    /// # Errors
    ///
    /// Fails when a provider cannot be built, for instance a type this version has no
    /// adapter for, or when a reference is dangling.
    pub fn build(config: &HubConfig) -> Result<Snapshot, BuildError> {
        let access_keys = AccessKeys::new(&config.general.access_keys)?;
        let providers = build_providers(config)?;
        let routes = build_routes(config, &providers)?;
        let mut shared = pipeline::Shared::new(config.general.trace_content_enabled);
        let pipelines = config
            .pipelines
            .iter()
            .enumerate()
            .map(|(index, pipeline)| pipeline::build(index, pipeline, &routes, &mut shared))
            .collect::<Result<Vec<_>, _>>()?;

        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        Ok(Snapshot {
            pipelines,
            access_keys,
            requests: RequestLimits::from(&config.general),
            connections: ConnectionLimits::from(&config.general),
            created,
            trace_content: config.general.trace_content_enabled,
        })
    }

    /// The pipeline a request for `pipeline_type` goes to: the one `name` gives, else
    /// `default` if it serves the type, else the first that does.
    pub(crate) fn pipeline(
        &self,
        name: Option<&str>,
        pipeline_type: PipelineType,
    ) -> Result<&Pipeline, PipelineChoiceError> {
        if let Some(name) = name {
            let pipeline = self
                .pipelines
                .iter()
                .find(|pipeline| &*pipeline.name == name)
                .ok_or(PipelineChoiceError::Unknown)?;
            return if pipeline.pipeline_type == pipeline_type {
                Ok(pipeline)
            } else {
                Err(PipelineChoiceError::WrongType(pipeline.pipeline_type))
            };
        }

        let serves = |pipeline: &&Pipeline| pipeline.pipeline_type == pipeline_type;
        self.pipelines
            .iter()
            .filter(serves)
            .find(|pipeline| &*pipeline.name == "default")
            .or_else(|| self.pipelines.iter().find(serves))
            .ok_or(PipelineChoiceError::NoneServes)
    }
}

/// Why no pipeline was found for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PipelineChoiceError {
    Unknown,
    WrongType(PipelineType),
    NoneServes,
}

fn build_providers(config: &HubConfig) -> Result<HashMap<&str, Arc<dyn Provider>>, BuildError> {
    let mut providers = HashMap::new();
    let limits = hub_providers::UpstreamLimits::from_config(&config.general);
    for (index, provider) in config.providers.iter().enumerate() {
        let adapter =
            hub_providers::build(provider, limits).map_err(|source| BuildError::Provider {
                index,
                key: provider.key.clone(),
                source,
            })?;
        providers.insert(provider.key.as_str(), adapter);
    }
    Ok(providers)
}

fn build_routes(
    config: &HubConfig,
    providers: &HashMap<&str, Arc<dyn Provider>>,
) -> Result<HashMap<String, Arc<Route>>, BuildError> {
    let mut routes = HashMap::new();
    for (index, model) in config.models.iter().enumerate() {
        let provider =
            providers
                .get(model.provider.as_str())
                .ok_or_else(|| BuildError::Reference {
                    path: format!("models[{index}].provider"),
                    message: format!("no provider named {:?}", model.provider),
                })?;
        let route = Route {
            key: Arc::from(model.key.as_str()),
            model: model.clone(),
            provider_key: Arc::from(model.provider.as_str()),
            provider: Arc::clone(provider),
            health: ModelHealth::default(),
        };
        routes.insert(model.key.clone(), Arc::new(route));
    }
    Ok(routes)
}
