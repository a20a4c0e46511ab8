//! Secrets: named values, sealed at rest, that credentials refer to with
//! `{"type": "secret", "name": ...}`. A value goes in and never comes out through the API.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Management, Page, PageRequest, Precondition, ServiceError, check_name, check_whole,
    lock_for_write, not_found, taken,
};
use crate::fault::{Fault, ResourceKind};
use crate::keys::Keyring;
use crate::rows::SecretRow;
use crate::schema::secrets;

const KIND: ResourceKind = ResourceKind::Secret;

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
        let mut connection = self.connection().await?;
        let mut query = secrets::table
            .select(SecretRow::as_select())
            .order(secrets::name)
            .limit(page.limit() + 1)
            .into_boxed();
        if let Some(after) = &page.after {
            query = query.filter(secrets::name.gt(after.clone()));
        }

        let rows = query.load(&mut connection).await?;
        let items = rows.into_iter().map(Secret::from).collect();
        Ok(Page::from_rows(items, page.limit(), |item: &Secret| {
            &item.name
        }))
    }

    pub async fn get_secret(&self, id: Uuid) -> Result<Secret, ServiceError> {
        let mut connection = self.connection().await?;
        Ok(find(&mut connection, id).await?.into())
    }

    pub async fn create_secret(&self, new: NewSecret) -> Result<Secret, ServiceError> {
        check_name("name", &new.name)?;
        let id = Uuid::new_v4();
        let sealed = seal_value(&self.keyring, id, &new.value)?;

        let mut connection = self.connection().await?;
        let row = connection
            .transaction(async move |connection| {
                lock_for_write(connection).await?;
                ensure_free(connection, &new.name, None).await?;

                diesel::insert_into(secrets::table)
                    .values((
                        secrets::id.eq(id),
                        secrets::name.eq(&new.name),
                        secrets::key_id.eq(&sealed.key_id),
                        secrets::nonce.eq(&sealed.nonce),
                        secrets::ciphertext.eq(&sealed.ciphertext),
                    ))
                    .execute(connection)
                    .await?;

                check_whole(connection, KIND, id).await?;
                find(connection, id).await
            })
            .await?;
        Ok(row.into())
    }

    pub async fn update_secret(
        &self,
        id: Uuid,
        changes: SecretChanges,
        precondition: Precondition,
    ) -> Result<Secret, ServiceError> {
        if let Some(name) = &changes.name {
            check_name("name", name)?;
        }
        let precondition = precondition.with_version(changes.version);
        let sealed = match &changes.value {
            Some(value) => Some(seal_value(&self.keyring, id, value)?),
            None => None,
        };

        let mut connection = self.connection().await?;
        let row = connection
            .transaction(async move |connection| {
                lock_for_write(connection).await?;
                let current = find(connection, id).await?;
                precondition.check(KIND, current.version)?;
                if let Some(name) = &changes.name {
                    ensure_free(connection, name, Some(id)).await?;
                }

                let sealed = sealed.unwrap_or_else(|| current.sealed());
                diesel::update(secrets::table.find(id))
                    .set((
                        secrets::name.eq(changes.name.unwrap_or(current.name)),
                        secrets::key_id.eq(sealed.key_id),
                        secrets::nonce.eq(sealed.nonce),
                        secrets::ciphertext.eq(sealed.ciphertext),
                        secrets::version.eq(current.version + 1),
                        secrets::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(connection)
                    .await?;

                // Renaming a secret that credentials name would leave them dangling.
                check_whole(connection, KIND, id).await?;
                find(connection, id).await
            })
            .await?;
        Ok(row.into())
    }

    pub async fn delete_secret(
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

                diesel::delete(secrets::table.find(id))
                    .execute(connection)
                    .await?;
                check_whole(connection, KIND, id).await
            })
            .await
    }
}

fn seal_value(
    keyring: &Keyring,
    id: Uuid,
    value: &SecretString,
) -> Result<crate::keys::Sealed, ServiceError> {
    if value.expose_secret().is_empty() {
        return Err(ServiceError::Invalid {
            faults: vec![Fault::field("value", "must not be empty")],
        });
    }
    Ok(keyring.seal(value.expose_secret(), &SecretRow::context(id))?)
}

async fn find(connection: &mut AsyncPgConnection, id: Uuid) -> Result<SecretRow, ServiceError> {
    secrets::table
        .find(id)
        .select(SecretRow::as_select())
        .first(connection)
        .await
        .optional()?
        .ok_or_else(|| not_found(KIND, id))
}

async fn ensure_free(
    connection: &mut AsyncPgConnection,
    name: &str,
    except: Option<Uuid>,
) -> Result<(), ServiceError> {
    let holder: Option<Uuid> = secrets::table
        .filter(secrets::name.eq(name))
        .select(secrets::id)
        .first(connection)
        .await
        .optional()?;
    match holder {
        Some(holder) if Some(holder) != except => Err(taken("name", name, KIND)),
        _ => Ok(()),
    }
}
