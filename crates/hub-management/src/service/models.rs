//! Model definitions: `{key, model_type, provider_id, config, enabled}`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::resource::Resource;
use super::{Management, Page, PageRequest, Precondition, ServiceError};
use crate::fault::{Fault, ResourceKind};
use crate::keys::Keyring;
use crate::rows::ModelRow;
use crate::schema::{model_definitions, providers};

/// A model definition to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewModel {
    /// What clients send as `model`.
    #[schema(min_length = 1, max_length = 256)]
    pub key: String,
    /// The provider's own id for the model.
    pub model_type: String,
    pub provider_id: Uuid,
    /// Settings such as `timeout_ms` or Azure's `deployment`. The original Hub called it
    /// `config_details`.
    #[serde(default, alias = "config_details")]
    pub config: Map<String, Value>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

/// Changes to a model definition: the fields given replace the stored ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelChanges {
    #[schema(min_length = 1, max_length = 256)]
    pub key: Option<String>,
    pub model_type: Option<String>,
    pub provider_id: Option<Uuid>,
    #[serde(alias = "config_details")]
    pub config: Option<Map<String, Value>>,
    pub enabled: Option<bool>,
    pub version: Option<i64>,
}

fn enabled_by_default() -> bool {
    true
}

/// A model definition as reads show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelDefinition {
    pub id: Uuid,
    pub key: String,
    pub model_type: String,
    pub provider_id: Uuid,
    pub config: Value,
    pub enabled: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ModelRow> for ModelDefinition {
    fn from(row: ModelRow) -> Self {
        ModelDefinition {
            id: row.id,
            key: row.key,
            model_type: row.model_type,
            provider_id: row.provider_id,
            config: row.config,
            enabled: row.enabled,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Management {
    pub async fn list_models(
        &self,
        page: &PageRequest,
    ) -> Result<Page<ModelDefinition>, ServiceError> {
        self.list(page).await
    }

    pub async fn get_model(&self, id: Uuid) -> Result<ModelDefinition, ServiceError> {
        self.get(id).await
    }

    pub async fn create_model(&self, new: NewModel) -> Result<ModelDefinition, ServiceError> {
        self.create(Uuid::new_v4(), new).await
    }

    pub async fn update_model(
        &self,
        id: Uuid,
        changes: ModelChanges,
        precondition: Precondition,
    ) -> Result<ModelDefinition, ServiceError> {
        let precondition = precondition.with_version(changes.version);
        self.update(id, changes, precondition).await
    }

    pub async fn delete_model(
        &self,
        id: Uuid,
        precondition: Precondition,
    ) -> Result<(), ServiceError> {
        self.delete::<ModelDefinition>(id, precondition).await
    }
}

impl Resource for ModelDefinition {
    const KIND: ResourceKind = ResourceKind::ModelDefinition;
    type Stored = ModelRow;
    type New = NewModel;
    type Changes = ModelChanges;

    fn new_name(new: &NewModel) -> &str {
        &new.key
    }

    fn renamed(changes: &ModelChanges) -> Option<&str> {
        changes.key.as_deref()
    }

    async fn insert(
        connection: &mut AsyncPgConnection,
        id: Uuid,
        new: NewModel,
    ) -> Result<(), ServiceError> {
        ensure_provider(connection, new.provider_id).await?;

        diesel::insert_into(model_definitions::table)
            .values((
                model_definitions::id.eq(id),
                model_definitions::key.eq(new.key),
                model_definitions::model_type.eq(new.model_type),
                model_definitions::provider_id.eq(new.provider_id),
                model_definitions::config.eq(Value::Object(new.config)),
                model_definitions::enabled.eq(new.enabled),
            ))
            .execute(connection)
            .await?;
        Ok(())
    }

    async fn update(
        connection: &mut AsyncPgConnection,
        _: &Keyring,
        current: ModelRow,
        changes: ModelChanges,
        version: i64,
    ) -> Result<(), ServiceError> {
        if let Some(provider_id) = changes.provider_id {
            ensure_provider(connection, provider_id).await?;
        }

        let config = changes.config.map_or(current.config, Value::Object);
        diesel::update(model_definitions::table.find(current.id))
            .set((
                model_definitions::key.eq(changes.key.unwrap_or(current.key)),
                model_definitions::model_type.eq(changes.model_type.unwrap_or(current.model_type)),
                model_definitions::provider_id
                    .eq(changes.provider_id.unwrap_or(current.provider_id)),
                model_definitions::config.eq(config),
                model_definitions::enabled.eq(changes.enabled.unwrap_or(current.enabled)),
                model_definitions::version.eq(version),
                model_definitions::updated_at.eq(diesel::dsl::now),
            ))
            .execute(connection)
            .await?;
        Ok(())
    }
}

/// A model must name a provider that exists.
async fn ensure_provider(
    connection: &mut AsyncPgConnection,
    provider_id: Uuid,
) -> Result<(), ServiceError> {
    let found: Option<Uuid> = providers::table
        .find(provider_id)
        .select(providers::id)
        .first(connection)
        .await
        .optional()?;
    if found.is_none() {
        let message = format!("no provider with id {provider_id}");
        return Err(ServiceError::Invalid {
            faults: vec![Fault::field("provider_id", message)],
        });
    }
    Ok(())
}
