//! Providers: `{name, provider_type, config, enabled}`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use hub_core::config::ProviderType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::resource::Resource;
use super::{Management, Page, PageRequest, Precondition, ServiceError};
use crate::credentials::{self, PROVIDER_CREDENTIALS};
use crate::fault::{Fault, ResourceKind, ResourceRef};
use crate::keys::Keyring;
use crate::rows::ProviderRow;
use crate::schema::{model_definitions, providers};

/// A provider to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProvider {
    #[schema(min_length = 1, max_length = 256)]
    pub name: String,
    pub provider_type: ProviderType,
    /// The type's settings, as a YAML file gives them; credentials as secret objects.
    #[serde(default)]
    pub config: Map<String, Value>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

/// Changes to a provider: the fields given replace the stored ones, `config` whole.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderChanges {
    #[schema(min_length = 1, max_length = 256)]
    pub name: Option<String>,
    pub provider_type: Option<ProviderType>,
    pub config: Option<Map<String, Value>>,
    pub enabled: Option<bool>,
    /// The version the change is based on; a change to another version is refused.
    pub version: Option<i64>,
}

// Not derived: `config` may hold a literal credential.
impl std::fmt::Debug for NewProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewProvider")
            .field("name", &self.name)
            .field("provider_type", &self.provider_type)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ProviderChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderChanges")
            .field("name", &self.name)
            .field("provider_type", &self.provider_type)
            .finish_non_exhaustive()
    }
}

fn enabled_by_default() -> bool {
    true
}

/// A provider as reads show it: literal credentials masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Provider {
    pub id: Uuid,
    pub name: String,
    pub provider_type: String,
    pub config: Value,
    pub enabled: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProviderRow> for Provider {
    fn from(row: ProviderRow) -> Self {
        Provider {
            id: row.id,
            config: credentials::mask(&row.config, PROVIDER_CREDENTIALS),
            name: row.name,
            provider_type: row.provider_type,
            enabled: row.enabled,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Management {
    pub async fn list_providers(&self, page: &PageRequest) -> Result<Page<Provider>, ServiceError> {
        self.list(page).await
    }

    pub async fn get_provider(&self, id: Uuid) -> Result<Provider, ServiceError> {
        self.get(id).await
    }

    pub async fn create_provider(&self, new: NewProvider) -> Result<Provider, ServiceError> {
        let id = Uuid::new_v4();
        let config = seal_config(&self.keyring, id, new.config, None)?;
        self.create(id, NewProvider { config, ..new }).await
    }

    pub async fn update_provider(
        &self,
        id: Uuid,
        changes: ProviderChanges,
        precondition: Precondition,
    ) -> Result<Provider, ServiceError> {
        let precondition = precondition.with_version(changes.version);
        self.update(id, changes, precondition).await
    }

    pub async fn delete_provider(
        &self,
        id: Uuid,
        precondition: Precondition,
    ) -> Result<(), ServiceError> {
        self.delete::<Provider>(id, precondition).await
    }
}

impl Resource for Provider {
    const KIND: ResourceKind = ResourceKind::Provider;
    type Stored = ProviderRow;
    /// Its literal credentials already sealed.
    type New = NewProvider;
    type Changes = ProviderChanges;

    fn new_name(new: &NewProvider) -> &str {
        &new.name
    }

    fn renamed(changes: &ProviderChanges) -> Option<&str> {
        changes.name.as_deref()
    }

    async fn insert(
        connection: &mut AsyncPgConnection,
        id: Uuid,
        new: NewProvider,
    ) -> Result<(), ServiceError> {
        diesel::insert_into(providers::table)
            .values((
                providers::id.eq(id),
                providers::name.eq(new.name),
                providers::provider_type.eq(new.provider_type.as_str()),
                providers::config.eq(Value::Object(new.config)),
                providers::enabled.eq(new.enabled),
            ))
            .execute(connection)
            .await?;
        Ok(())
    }

    async fn update(
        connection: &mut AsyncPgConnection,
        keyring: &Keyring,
        current: ProviderRow,
        changes: ProviderChanges,
        version: i64,
    ) -> Result<(), ServiceError> {
        let config = match changes.config {
            Some(config) => {
                let sealed = seal_config(keyring, current.id, config, current.config.as_object())?;
                Value::Object(sealed)
            }
            None => current.config,
        };
        let provider_type = changes
            .provider_type
            .map_or(current.provider_type, |kind| kind.as_str().to_owned());

        diesel::update(providers::table.find(current.id))
            .set((
                providers::name.eq(changes.name.unwrap_or(current.name)),
                providers::provider_type.eq(provider_type),
                providers::config.eq(config),
                providers::enabled.eq(changes.enabled.unwrap_or(current.enabled)),
                providers::version.eq(version),
                providers::updated_at.eq(diesel::dsl::now),
            ))
            .execute(connection)
            .await?;
        Ok(())
    }

    /// A provider that still serves models cannot go: the models would have nowhere to send
    /// requests.
    async fn ensure_deletable(
        connection: &mut AsyncPgConnection,
        provider: &ProviderRow,
    ) -> Result<(), ServiceError> {
        let users: Vec<(Uuid, String)> = model_definitions::table
            .filter(model_definitions::provider_id.eq(provider.id))
            .select((model_definitions::id, model_definitions::key))
            .order(model_definitions::key)
            .load(connection)
            .await?;
        if users.is_empty() {
            return Ok(());
        }

        let faults = users
            .into_iter()
            .map(|(id, key)| {
                let resource = ResourceRef {
                    kind: ResourceKind::ModelDefinition,
                    id,
                    name: key,
                };
                let message = format!(
                    "still served by provider {:?}; delete it or move it to another \
                     provider first",
                    provider.name
                );
                Fault::new(Some(resource), "provider_id", message)
            })
            .collect();
        Err(ServiceError::Conflict { faults })
    }
}

/// The stored form of a provider's settings: credentials sealed, bound to the provider. A
/// masked literal keeps what `previous` holds at that setting.
fn seal_config(
    keyring: &Keyring,
    id: Uuid,
    config: Map<String, Value>,
    previous: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>, ServiceError> {
    let owner = format!("provider/{id}");
    credentials::seal(
        config,
        PROVIDER_CREDENTIALS,
        previous,
        &owner,
        keyring,
        "config",
    )
    .map_err(|faults| ServiceError::Invalid { faults })
}
