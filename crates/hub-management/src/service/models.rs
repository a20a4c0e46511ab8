//! Model definitions: `{key, model_type, provider_id, config, enabled}`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Management, Page, PageRequest, Precondition, ServiceError, check_name, check_whole,
    lock_for_write, not_found, taken,
};
use crate::fault::{Fault, ResourceKind};
use crate::rows::ModelRow;
use crate::schema::{model_definitions, providers};

const KIND: ResourceKind = ResourceKind::ModelDefinition;

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
        let mut connection = self.connection().await?;
        let mut query = model_definitions::table
            .select(ModelRow::as_select())
            .order(model_definitions::key)
            .limit(page.limit() + 1)
            .into_boxed();
        if let Some(after) = &page.after {
            query = query.filter(model_definitions::key.gt(after.clone()));
        }

        let rows = query.load(&mut connection).await?;
        let items = rows.into_iter().map(ModelDefinition::from).collect();
        Ok(Page::from_rows(
            items,
            page.limit(),
            |item: &ModelDefinition| &item.key,
        ))
    }

    pub async fn get_model(&self, id: Uuid) -> Result<ModelDefinition, ServiceError> {
        let mut connection = self.connection().await?;
        Ok(find(&mut connection, id).await?.into())
    }

    pub async fn create_model(&self, new: NewModel) -> Result<ModelDefinition, ServiceError> {
        check_name("key", &new.key)?;
        let id = Uuid::new_v4();

        let mut connection = self.connection().await?;
        let row = connection
            .transaction(async move |connection| {
                lock_for_write(connection).await?;
                ensure_free(connection, &new.key, None).await?;
                ensure_provider(connection, new.provider_id).await?;

                diesel::insert_into(model_definitions::table)
                    .values((
                        model_definitions::id.eq(id),
                        model_definitions::key.eq(&new.key),
                        model_definitions::model_type.eq(&new.model_type),
                        model_definitions::provider_id.eq(new.provider_id),
                        model_definitions::config.eq(Value::Object(new.config)),
                        model_definitions::enabled.eq(new.enabled),
                    ))
                    .execute(connection)
                    .await?;

                check_whole(connection, KIND, id).await?;
                find(connection, id).await
            })
            .await?;
        Ok(row.into())
    }

    pub async fn update_model(
        &self,
        id: Uuid,
        changes: ModelChanges,
        precondition: Precondition,
    ) -> Result<ModelDefinition, ServiceError> {
        if let Some(key) = &changes.key {
            check_name("key", key)?;
        }
        let precondition = precondition.with_version(changes.version);

        let mut connection = self.connection().await?;
        let row = connection
            .transaction(async move |connection| {
                lock_for_write(connection).await?;
                let current = find(connection, id).await?;
                precondition.check(KIND, current.version)?;
                if let Some(key) = &changes.key {
                    ensure_free(connection, key, Some(id)).await?;
                }
                if let Some(provider_id) = changes.provider_id {
                    ensure_provider(connection, provider_id).await?;
                }

                let config = changes.config.map_or(current.config, Value::Object);
                diesel::update(model_definitions::table.find(id))
                    .set((
                        model_definitions::key.eq(changes.key.unwrap_or(current.key)),
                        model_definitions::model_type
                            .eq(changes.model_type.unwrap_or(current.model_type)),
                        model_definitions::provider_id
                            .eq(changes.provider_id.unwrap_or(current.provider_id)),
                        model_definitions::config.eq(config),
                        model_definitions::enabled.eq(changes.enabled.unwrap_or(current.enabled)),
                        model_definitions::version.eq(current.version + 1),
                        model_definitions::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(connection)
                    .await?;

                check_whole(connection, KIND, id).await?;
                find(connection, id).await
            })
            .await?;
        Ok(row.into())
    }

    pub async fn delete_model(
        &self,
        id: Uuid,
        precondition: Precondition,
    ) -> Result<(), ServiceError> {
        let mut connection = self.connection().await?;
        connection
            .transaction(async move |connection| {
                lock_for_write(connection).await?;
                let current = find(connection, id).await?;
                precondition.check(KIND, current.version)?;

                diesel::delete(model_definitions::table.find(id))
                    .execute(connection)
                    .await?;
                // A pipeline that routes to the model would be left naming nothing.
                check_whole(connection, KIND, id).await
            })
            .await
    }
}

async fn find(connection: &mut AsyncPgConnection, id: Uuid) -> Result<ModelRow, ServiceError> {
    model_definitions::table
        .find(id)
        .select(ModelRow::as_select())
        .first(connection)
        .await
        .optional()?
        .ok_or_else(|| not_found(KIND, id))
}

async fn ensure_free(
    connection: &mut AsyncPgConnection,
    key: &str,
    except: Option<Uuid>,
) -> Result<(), ServiceError> {
    let holder: Option<Uuid> = model_definitions::table
        .filter(model_definitions::key.eq(key))
        .select(model_definitions::id)
        .first(connection)
        .await
        .optional()?;
    match holder {
        Some(holder) if Some(holder) != except => Err(taken("key", key, KIND)),
        _ => Ok(()),
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
