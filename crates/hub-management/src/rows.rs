//! The rows of each table, and reading all of them at once: what a gateway builds its
//! configuration from, and what a write is checked against.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use crate::keys::Sealed;
use crate::schema::{
    api_keys, config_revision, model_definitions, pipeline_plugins, pipelines, providers, secrets,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = providers, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ProviderRow {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) provider_type: String,
    /// Credentials in it are stored secret objects, never plain values.
    pub(crate) config: Value,
    pub(crate) enabled: bool,
    pub(crate) version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = model_definitions, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ModelRow {
    pub(crate) id: Uuid,
    pub(crate) key: String,
    pub(crate) model_type: String,
    pub(crate) provider_id: Uuid,
    pub(crate) config: Value,
    pub(crate) enabled: bool,
    pub(crate) version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pipelines, check_for_backend(diesel::pg::Pg))]
pub(crate) struct PipelineRow {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) pipeline_type: String,
    pub(crate) description: Option<String>,
    pub(crate) enabled: bool,
    pub(crate) version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pipeline_plugins, check_for_backend(diesel::pg::Pg))]
pub(crate) struct PluginRow {
    pub(crate) pipeline_id: Uuid,
    /// The plugin's place in the list the client gave, from 0.
    pub(crate) position: i32,
    pub(crate) plugin_type: String,
    pub(crate) config_data: Value,
    pub(crate) order_in_pipeline: i32,
    pub(crate) enabled: bool,
}

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = secrets, check_for_backend(diesel::pg::Pg))]
pub(crate) struct SecretRow {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) key_id: String,
    pub(crate) nonce: Vec<u8>,
    pub(crate) ciphertext: Vec<u8>,
    pub(crate) version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for SecretRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretRow")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("key_id", &self.key_id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl SecretRow {
    pub(crate) fn sealed(&self) -> Sealed {
        Sealed {
            key_id: self.key_id.clone(),
            nonce: self.nonce.clone(),
            ciphertext: self.ciphertext.clone(),
        }
    }

    /// What the value is bound to, so it opens in this row only.
    pub(crate) fn context(id: Uuid) -> String {
        format!("secret/{id}")
    }
}

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ApiKeyRow {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) key_prefix: String,
    /// The SHA-256 digest of the key; the key itself is never stored.
    pub(crate) key_sha256: Vec<u8>,
    pub(crate) enabled: bool,
    pub(crate) version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for ApiKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyRow")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("key_prefix", &self.key_prefix)
            .field("enabled", &self.enabled)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Every row of the configuration at one revision.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConfigRows {
    pub(crate) revision: i64,
    pub(crate) secrets: Vec<SecretRow>,
    pub(crate) providers: Vec<ProviderRow>,
    pub(crate) models: Vec<ModelRow>,
    pub(crate) pipelines: Vec<PipelineRow>,
    /// Ordered by pipeline, then position.
    pub(crate) plugins: Vec<PluginRow>,
    pub(crate) api_keys: Vec<ApiKeyRow>,
}

impl ConfigRows {
    /// Reads every table. Run it inside a transaction (repeatable read for a gateway, the
    /// writing one for a write) so the rows belong to one revision.
    pub(crate) async fn load(connection: &mut AsyncPgConnection) -> QueryResult<ConfigRows> {
        let revision = read_revision(connection).await?;
        // Rows keep the order they were created in: pipelines in particular, as the first
        // pipeline of a type serves requests that name none.
        let secrets = secrets::table
            .select(SecretRow::as_select())
            .order((secrets::created_at, secrets::id))
            .load(connection)
            .await?;
        let providers = providers::table
            .select(ProviderRow::as_select())
            .order((providers::created_at, providers::id))
            .load(connection)
            .await?;
        let models = model_definitions::table
            .select(ModelRow::as_select())
            .order((model_definitions::created_at, model_definitions::id))
            .load(connection)
            .await?;
        let pipelines = pipelines::table
            .select(PipelineRow::as_select())
            .order((pipelines::created_at, pipelines::id))
            .load(connection)
            .await?;
        let plugins = pipeline_plugins::table
            .select(PluginRow::as_select())
            .order((pipeline_plugins::pipeline_id, pipeline_plugins::position))
            .load(connection)
            .await?;
        let api_keys = api_keys::table
            .select(ApiKeyRow::as_select())
            .order((api_keys::created_at, api_keys::id))
            .load(connection)
            .await?;

        Ok(ConfigRows {
            revision,
            secrets,
            providers,
            models,
            pipelines,
            plugins,
            api_keys,
        })
    }

    /// The plugins of one pipeline, in the order the client gave them.
    pub(crate) fn plugins_of(&self, pipeline: Uuid) -> impl Iterator<Item = &PluginRow> {
        self.plugins
            .iter()
            .filter(move |plugin| plugin.pipeline_id == pipeline)
    }
}

/// The revision every change bumps.
pub(crate) async fn read_revision(connection: &mut AsyncPgConnection) -> QueryResult<i64> {
    config_revision::table
        .select(config_revision::revision)
        .first(connection)
        .await
}
