//! Loading a Hub configuration with `hub-config`, as a service that ships Hub's YAML beside
//! its own settings would check it at start.

use std::collections::BTreeMap;

use hub_config::{ConfigError, Environment};
use hub_core::config::PipelineType;

/// The models each chat pipeline routes to, by pipeline name. The configuration is checked
/// whole first, so an error lists every fault with its path; `${NAME}` references are read
/// from `env`.
pub fn chat_models(
    yaml: &str,
    env: &dyn Environment,
) -> Result<BTreeMap<String, Vec<String>>, ConfigError> {
    let config = hub_config::load_str(yaml, env)?;

    let chat_pipelines = config
        .pipelines
        .iter()
        .filter(|pipeline| pipeline.pipeline_type == PipelineType::Chat);
    Ok(chat_pipelines
        .map(|pipeline| {
            let models = pipeline
                .model_router()
                .map(|router| router.models.clone())
                .unwrap_or_default();
            (pipeline.name.clone(), models)
        })
        .collect())
}
