//! Secrets: named values, sealed at rest, that credentials refer to with
//! `{"type": "secret", "name": ...}`. A value goes in and never comes out through the API.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::resource::Resource;
use super::{Management, Page, PageRequest, Precondition, ServiceError};
use crate::fault::{Fault, ResourceKind};
use crate::keys::{Keyring, Sealed};
use crate::rows::SecretRow;
use crate::schema::secrets;

/// A secret to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSecret {
    #[schema(min_length = 1, max_length = 256)]
    pub name: String,
    #[schema(value_type = String)]
    pub value: SecretString,
}

/// Changes to a secret: a new name, a new value, or both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretChanges {
    #[schema(min_length = 1, max_length = 256)]
    pub name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub value: Option<SecretString>,
    pub version: Option<i64>,
}

/// A secret as reads show it: never its value, but the key it is sealed under.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Secret {
    pub id: Uuid,
    pub name: String,
    pub key_id: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SecretRow> for Secret {
    fn from(row: SecretRow) -> Self {
        Secret {
            id: row.id,
            name: row.name,
            key_id: row.key_id,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Management {
    pub async fn list_secrets(&self, page: &PageRequest) -> Result<Page<Secret>, ServiceError> {
        self.list(page).await
    }

    pub async fn get_secret(&self, id: Uuid) -> Result<Secret, ServiceError> {
        self.get(id).await
    }

    pub async fn create_secret(&self, new: NewSecret) -> Result<Secret, ServiceError> {
        let id = Uuid::new_v4();
        let sealed = seal_value(&self.keyring, id, &new.value)?;
        self.create(id, (new.name, sealed)).await
    }

    pub async fn update_secret(
        &self,
        id: Uuid,
        changes: SecretChanges,
        precondition: Precondition,
    ) -> Result<Secret, ServiceError> {
        let precondition = precondition.with_version(changes.version);
        let sealed = match &changes.value {
            Some(value) => Some(seal_value(&self.keyring, id, value)?),
            None => None,
        };
        self.update(id, (changes.name, sealed), precondition).await
    }

    pub async fn delete_secret(
        &self,
        id: Uuid,
        precondition: Precondition,
    ) -> Result<(), ServiceError> {
        self.delete::<Secret>(id, precondition).await
    }
}

impl Resource for Secret {
    const KIND: ResourceKind = ResourceKind::Secret;
    type Stored = SecretRow;
    /// Its name, and its value sealed.
    type New = (String, Sealed);
    /// A new name, a new value sealed, or both.
    type Changes = (Option<String>, Option<Sealed>);

    fn new_name((name, _): &Self::New) -> &str {
        name
    }

    fn renamed((name, _): &Self::Changes) -> Option<&str> {
        name.as_deref()
    }

    async fn insert(
        connection: &mut AsyncPgConnection,
        id: Uuid,
        (name, sealed): Self::New,
    ) -> Result<(), ServiceError> {
        diesel::insert_into(secrets::table)
            .values((
                secrets::id.eq(id),
                secrets::name.eq(name),
                secrets::key_id.eq(sealed.key_id),
                secrets::nonce.eq(sealed.nonce),
                secrets::ciphertext.eq(sealed.ciphertext),
            ))
            .execute(connection)
            .await?;
        Ok(())
    }

    /// Renaming a secret that credentials name would leave them dangling, which the check of
    /// the whole configuration that follows refuses.
    async fn update(
        connection: &mut AsyncPgConnection,
        _: &Keyring,
        current: SecretRow,
        (name, sealed): Self::Changes,
        version: i64,
    ) -> Result<(), ServiceError> {
        let sealed = sealed.unwrap_or_else(|| current.sealed());
        diesel::update(secrets::table.find(current.id))
            .set((
                secrets::name.eq(name.unwrap_or(current.name)),
                secrets::key_id.eq(sealed.key_id),
                secrets::nonce.eq(sealed.nonce),
                secrets::ciphertext.eq(sealed.ciphertext),
                secrets::version.eq(version),
                secrets::updated_at.eq(diesel::dsl::now),
            ))
            .execute(connection)
            .await?;
        Ok(())
    }
}

fn seal_value(keyring: &Keyring, id: Uuid, value: &SecretString) -> Result<Sealed, ServiceError> {
    if value.expose_secret().is_empty() {
        return Err(ServiceError::Invalid {
            faults: vec![Fault::field("value", "must not be empty")],
        });
    }
    Ok(keyring.seal(value.expose_secret(), &SecretRow::context(id))?)
}
