//! Pipelines: `{name, pipeline_type, plugins: [{plugin_type, config_data,
//! order_in_pipeline, enabled}], enabled}`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use hub_core::config::PipelineType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::resource::{Resource, Stored};
use super::{Management, Page, PageRequest, Precondition, ServiceError};
use crate::credentials::{self, TRACING_CREDENTIALS};
use crate::fault::{Fault, ResourceKind};
use crate::keys::Keyring;
use crate::rows::{PipelineRow, PluginRow};
use crate::schema::{pipeline_plugins, pipelines};

/// The plugins a pipeline may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PluginType {
    Logging,
    Tracing,
    ModelRouter,
}

impl PluginType {
    /// The name the configuration gives the plugin.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginType::Logging => "logging",
            PluginType::Tracing => "tracing",
            PluginType::ModelRouter => "model-router",
        }
    }

    fn credentials(self) -> &'static [&'static str] {
        match self {
            PluginType::Tracing => TRACING_CREDENTIALS,
            PluginType::Logging | PluginType::ModelRouter => &[],
        }
    }
}

/// One plugin of a pipeline, as written.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginInput {
    pub plugin_type: PluginType,
    /// The plugin's settings, as a YAML file gives them under the plugin's name.
    #[serde(default)]
    pub config_data: Map<String, Value>,
    /// Lower runs first (outermost); ties keep the order of the list.
    #[serde(default)]
    pub order_in_pipeline: i32,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

// Not derived: a tracing plugin's settings may hold a literal credential.
impl std::fmt::Debug for PluginInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginInput")
            .field("plugin_type", &self.plugin_type)
            .field("order_in_pipeline", &self.order_in_pipeline)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// A pipeline to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPipeline {
    #[schema(min_length = 1, max_length = 256)]
    pub name: String,
    pub pipeline_type: PipelineType,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub plugins: Vec<PluginInput>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

/// Changes to a pipeline: the fields given replace the stored ones, `plugins` whole.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineChanges {
    #[schema(min_length = 1, max_length = 256)]
    pub name: Option<String>,
    pub pipeline_type: Option<PipelineType>,
    pub description: Option<String>,
    pub plugins: Option<Vec<PluginInput>>,
    pub enabled: Option<bool>,
    pub version: Option<i64>,
}

fn enabled_by_default() -> bool {
    true
}

/// A plugin as reads show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginView {
    pub plugin_type: String,
    pub config_data: Value,
    pub order_in_pipeline: i32,
    pub enabled: bool,
}

/// A pipeline as reads show it: plugins in the order they were given, literal credentials
/// masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pipeline {
    pub id: Uuid,
    pub name: String,
    pub pipeline_type: String,
    pub description: Option<String>,
    pub plugins: Vec<PluginView>,
    pub enabled: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<(PipelineRow, Vec<PluginRow>)> for Pipeline {
    fn from((row, plugins): (PipelineRow, Vec<PluginRow>)) -> Self {
        let plugins = plugins
            .into_iter()
            .map(|plugin| {
                let credentials = match plugin.plugin_type.as_str() {
                    "tracing" => TRACING_CREDENTIALS,
                    _ => &[],
                };
                PluginView {
                    config_data: credentials::mask(&plugin.config_data, credentials),
                    plugin_type: plugin.plugin_type,
                    order_in_pipeline: plugin.order_in_pipeline,
                    enabled: plugin.enabled,
                }
            })
            .collect();
        Pipeline {
            id: row.id,
            name: row.name,
            pipeline_type: row.pipeline_type,
            description: row.description,
            plugins,
            enabled: row.enabled,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Management {
    pub async fn list_pipelines(&self, page: &PageRequest) -> Result<Page<Pipeline>, ServiceError> {
        self.list(page).await
    }

    pub async fn get_pipeline(&self, id: Uuid) -> Result<Pipeline, ServiceError> {
        self.get(id).await
    }

    pub async fn create_pipeline(&self, mut new: NewPipeline) -> Result<Pipeline, ServiceError> {
        let id = Uuid::new_v4();
        let plugins = plugin_rows(id, std::mem::take(&mut new.plugins), &[], &self.keyring)?;
        self.create(id, (new, plugins)).await
    }

    pub async fn update_pipeline(
        &self,
        id: Uuid,
        changes: PipelineChanges,
        precondition: Precondition,
    ) -> Result<Pipeline, ServiceError> {
        let precondition = precondition.with_version(changes.version);
        self.update(id, changes, precondition).await
    }

    pub async fn delete_pipeline(
        &self,
        id: Uuid,
        precondition: Precondition,
    ) -> Result<(), ServiceError> {
        self.delete::<Pipeline>(id, precondition).await
    }
}

/// A pipeline's row, and its plugins in the order they were given.
type PipelineAndPlugins = (PipelineRow, Vec<PluginRow>);

impl Stored for PipelineAndPlugins {
    const NAME_FIELD: &'static str = PipelineRow::NAME_FIELD;

    fn version(&self) -> i64 {
        self.0.version
    }

    fn name(&self) -> &str {
        &self.0.name
    }

    async fn find(connection: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Self>> {
        let Some(row) = PipelineRow::find(connection, id).await? else {
            return Ok(None);
        };
        let plugins = plugins_of(connection, vec![id]).await?;
        Ok(Some((row, plugins)))
    }

    async fn page(
        connection: &mut AsyncPgConnection,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<Self>> {
        let rows = PipelineRow::page(connection, after, limit).await?;
        let ids = rows.iter().map(|row| row.id).collect();
        let mut plugins = plugins_of(connection, ids).await?;

        let pipelines = rows
            .into_iter()
            .map(|row| {
                let (own, rest) = plugins.drain(..).partition(|p| p.pipeline_id == row.id);
                plugins = rest;
                (row, own)
            })
            .collect();
        Ok(pipelines)
    }

    async fn named(connection: &mut AsyncPgConnection, name: &str) -> QueryResult<Option<Uuid>> {
        PipelineRow::named(connection, name).await
    }

    /// Its plugins go with it: the database cascades the delete.
    async fn delete(connection: &mut AsyncPgConnection, id: Uuid) -> QueryResult<usize> {
        PipelineRow::delete(connection, id).await
    }
}

/// The plugins of these pipelines, by pipeline, each one's in the order they were given.
async fn plugins_of(
    connection: &mut AsyncPgConnection,
    pipelines: Vec<Uuid>,
) -> QueryResult<Vec<PluginRow>> {
    pipeline_plugins::table
        .filter(pipeline_plugins::pipeline_id.eq_any(pipelines))
        .select(PluginRow::as_select())
        .order((pipeline_plugins::pipeline_id, pipeline_plugins::position))
        .load(connection)
        .await
}

impl Resource for Pipeline {
    const KIND: ResourceKind = ResourceKind::Pipeline;
    type Stored = PipelineAndPlugins;
    /// The pipeline, and the rows of its plugins with their credentials sealed.
    type New = (NewPipeline, Vec<PluginRow>);
    type Changes = PipelineChanges;

    fn new_name((new, _): &Self::New) -> &str {
        &new.name
    }

    fn renamed(changes: &PipelineChanges) -> Option<&str> {
        changes.name.as_deref()
    }

    async fn insert(
        connection: &mut AsyncPgConnection,
        id: Uuid,
        (new, plugins): Self::New,
    ) -> Result<(), ServiceError> {
        diesel::insert_into(pipelines::table)
            .values((
                pipelines::id.eq(id),
                pipelines::name.eq(new.name),
                pipelines::pipeline_type.eq(new.pipeline_type.as_str()),
                pipelines::description.eq(new.description),
                pipelines::enabled.eq(new.enabled),
            ))
            .execute(connection)
            .await?;
        diesel::insert_into(pipeline_plugins::table)
            .values(&plugins)
            .execute(connection)
            .await?;
        Ok(())
    }

    async fn update(
        connection: &mut AsyncPgConnection,
        keyring: &Keyring,
        (current, current_plugins): Self::Stored,
        changes: PipelineChanges,
        version: i64,
    ) -> Result<(), ServiceError> {
        if let Some(plugins) = changes.plugins {
            let rows = plugin_rows(current.id, plugins, &current_plugins, keyring)?;
            replace_plugins(connection, current.id, &rows).await?;
        }
        let pipeline_type = changes
            .pipeline_type
            .map_or(current.pipeline_type, |kind| kind.as_str().to_owned());

        diesel::update(pipelines::table.find(current.id))
            .set((
                pipelines::name.eq(changes.name.unwrap_or(current.name)),
                pipelines::pipeline_type.eq(pipeline_type),
                pipelines::description.eq(changes.description.or(current.description)),
                pipelines::enabled.eq(changes.enabled.unwrap_or(current.enabled)),
                pipelines::version.eq(version),
                pipelines::updated_at.eq(diesel::dsl::now),
            ))
            .execute(connection)
            .await?;
        Ok(())
    }
}

/// The rows of `plugins`, credentials sealed. A masked literal keeps the one stored by the
/// pipeline's current plugin of the same type: a pipeline holds one plugin of each type.
fn plugin_rows(
    pipeline: Uuid,
    plugins: Vec<PluginInput>,
    current: &[PluginRow],
    keyring: &Keyring,
) -> Result<Vec<PluginRow>, ServiceError> {
    let mut rows = Vec::with_capacity(plugins.len());
    let mut faults: Vec<Fault> = Vec::new();

    for (position, plugin) in plugins.into_iter().enumerate() {
        let kind = plugin.plugin_type;
        let previous = current
            .iter()
            .find(|row| row.plugin_type == kind.as_str())
            .and_then(|row| row.config_data.as_object());
        let owner = format!("pipeline/{pipeline}/{}", kind.as_str());
        let path = format!("plugins[{position}].config_data");
        let sealed = credentials::seal(
            plugin.config_data,
            kind.credentials(),
            previous,
            &owner,
            keyring,
            &path,
        );

        match sealed {
            Ok(config_data) => rows.push(PluginRow {
                pipeline_id: pipeline,
                position: i32::try_from(position).unwrap_or(i32::MAX),
                plugin_type: kind.as_str().to_owned(),
                config_data: Value::Object(config_data),
                order_in_pipeline: plugin.order_in_pipeline,
                enabled: plugin.enabled,
            }),
            Err(found) => faults.extend(found),
        }
    }

    if faults.is_empty() {
        Ok(rows)
    } else {
        Err(ServiceError::Invalid { faults })
    }
}

async fn replace_plugins(
    connection: &mut AsyncPgConnection,
    pipeline: Uuid,
    rows: &[PluginRow],
) -> Result<(), ServiceError> {
    diesel::delete(pipeline_plugins::table.filter(pipeline_plugins::pipeline_id.eq(pipeline)))
        .execute(connection)
        .await?;
    diesel::insert_into(pipeline_plugins::table)
        .values(rows)
        .execute(connection)
        .await?;
    Ok(())
}
