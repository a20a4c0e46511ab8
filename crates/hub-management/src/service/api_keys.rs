//! API keys: the keys clients present to gateways as `Authorization: Bearer <key>`.
//!
//! A key is drawn here (or brought by the operator), shown once in the answer to its
//! creation, and stored only as its SHA-256 digest with a short prefix to recognize it by.
//! SHA-256 rather than a slow password hash: a drawn key holds 256 random bits, so its
//! digest can neither be reversed nor searched, and a gateway can check it on every request
//! for the cost of one hash. An imported key must be as long as a YAML file's, for the same
//! reason.
//!
//! Gateways get every key, disabled ones too, so that disabling the last key closes them
//! rather than opening them; for the same reason the last key cannot be deleted.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::resource::Resource;
use super::{Management, Page, PageRequest, Precondition, ServiceError};
use crate::fault::{Fault, ResourceKind};
use crate::keys::Keyring;
use crate::rows::ApiKeyRow;
use crate::schema::api_keys;

/// What every drawn key starts with, so a leaked one is recognized as Hub's.
const KEY_MARK: &str = "hub-";
/// Random bytes in a drawn key.
const KEY_BYTES: usize = 32;
/// Characters of a key kept to recognize it by: the mark and 8 random characters (48 of
/// 256 bits) of a drawn key, fewer of an imported one, which may be as short as 32.
const DRAWN_PREFIX_CHARS: usize = 12;
const IMPORTED_PREFIX_CHARS: usize = 8;

/// An API key to create: drawn by the service unless `key` brings one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    #[schema(min_length = 1, max_length = 256)]
    pub name: String,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// An existing key to accept, hashed on receipt and never stored.
    #[schema(value_type = Option<String>)]
    pub key: Option<SecretString>,
}

fn enabled_by_default() -> bool {
    true
}

/// Changes to an API key: a new name, enabled or not. The key itself never changes: draw a
/// new one and delete the old.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyChanges {
    #[schema(min_length = 1, max_length = 256)]
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub version: Option<i64>,
}

/// An API key as reads show it: never the key, nor its digest.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub key_prefix: String,
    pub enabled: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A key just created: the only answer that holds the key itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKey,
    #[serde(serialize_with = "expose")]
    #[schema(value_type = String)]
    pub key: SecretString,
}

fn expose<S: Serializer>(key: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(key.expose_secret())
}

impl From<ApiKeyRow> for ApiKey {
    fn from(row: ApiKeyRow) -> Self {
        ApiKey {
            id: row.id,
            name: row.name,
            key_prefix: row.key_prefix,
            enabled: row.enabled,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A key as it is stored: its digest, and the characters it is recognized by.
pub(super) struct DigestedKey {
    name: String,
    enabled: bool,
    prefix: String,
    digest: Vec<u8>,
}

impl Management {
    pub async fn list_api_keys(&self, page: &PageRequest) -> Result<Page<ApiKey>, ServiceError> {
        self.list(page).await
    }

    pub async fn get_api_key(&self, id: Uuid) -> Result<ApiKey, ServiceError> {
        self.get(id).await
    }

    pub async fn create_api_key(&self, new: NewApiKey) -> Result<CreatedApiKey, ServiceError> {
        let (key, prefix_chars) = match new.key {
            Some(key) => {
                check_imported(&key)?;
                (key, IMPORTED_PREFIX_CHARS)
            }
            None => (draw_key()?, DRAWN_PREFIX_CHARS),
        };
        let digested = DigestedKey {
            name: new.name,
            enabled: new.enabled,
            prefix: key.expose_secret().chars().take(prefix_chars).collect(),
            digest: digest_of(&key),
        };

        let api_key = self.create(Uuid::new_v4(), digested).await?;
        Ok(CreatedApiKey { api_key, key })
    }

    pub async fn update_api_key(
        &self,
        id: Uuid,
        changes: ApiKeyChanges,
        precondition: Precondition,
    ) -> Result<ApiKey, ServiceError> {
        let precondition = precondition.with_version(changes.version);
        self.update(id, changes, precondition).await
    }

    pub async fn delete_api_key(
        &self,
        id: Uuid,
        precondition: Precondition,
    ) -> Result<(), ServiceError> {
        self.delete::<ApiKey>(id, precondition).await
    }
}

impl Resource for ApiKey {
    const KIND: ResourceKind = ResourceKind::ApiKey;
    type Stored = ApiKeyRow;
    type New = DigestedKey;
    type Changes = ApiKeyChanges;

    fn new_name(new: &DigestedKey) -> &str {
        &new.name
    }

    fn renamed(changes: &ApiKeyChanges) -> Option<&str> {
        changes.name.as_deref()
    }

    async fn insert(
        connection: &mut AsyncPgConnection,
        id: Uuid,
        new: DigestedKey,
    ) -> Result<(), ServiceError> {
        ensure_new_key(connection, &new.digest).await?;

        diesel::insert_into(api_keys::table)
            .values((
                api_keys::id.eq(id),
                api_keys::name.eq(new.name),
                api_keys::key_prefix.eq(new.prefix),
                api_keys::key_sha256.eq(new.digest),
                api_keys::enabled.eq(new.enabled),
            ))
            .execute(connection)
            .await?;
        Ok(())
    }

    async fn update(
        connection: &mut AsyncPgConnection,
        _: &Keyring,
        current: ApiKeyRow,
        changes: ApiKeyChanges,
        version: i64,
    ) -> Result<(), ServiceError> {
        diesel::update(api_keys::table.find(current.id))
            .set((
                api_keys::name.eq(changes.name.unwrap_or(current.name)),
                api_keys::enabled.eq(changes.enabled.unwrap_or(current.enabled)),
                api_keys::version.eq(version),
                api_keys::updated_at.eq(diesel::dsl::now),
            ))
            .execute(connection)
            .await?;
        Ok(())
    }

    /// Gateways without any key serve every client, so deleting the last key would open them
    /// to anyone: the opposite of what revoking a key means. Disabling it refuses it and keeps
    /// them closed.
    async fn ensure_deletable(
        connection: &mut AsyncPgConnection,
        _: &ApiKeyRow,
    ) -> Result<(), ServiceError> {
        let stored: i64 = api_keys::table.count().get_result(connection).await?;
        if stored > 1 {
            return Ok(());
        }
        Err(ServiceError::Conflict {
            faults: vec![Fault::field(
                "",
                "the last API key cannot be deleted: without keys, gateways serve every client. \
                 Disable it to refuse it, or create its replacement first",
            )],
        })
    }
}

/// `hub-` and 32 random bytes in unpadded base64url: 47 characters a header carries as
/// they are.
fn draw_key() -> Result<SecretString, ServiceError> {
    let mut bytes = [0u8; KEY_BYTES];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| ServiceError::Random)?;
    let key = format!("{KEY_MARK}{}", URL_SAFE_NO_PAD.encode(bytes));
    Ok(SecretString::from(key))
}

fn check_imported(key: &SecretString) -> Result<(), ServiceError> {
    hub_config::access_key_fault(key.expose_secret()).map_err(|message| ServiceError::Invalid {
        faults: vec![Fault::field("key", message)],
    })
}

fn digest_of(key: &SecretString) -> Vec<u8> {
    Sha256::digest(key.expose_secret().as_bytes()).to_vec()
}

/// An imported key already stored would let one client pass under two names. The answer
/// does not say under which: that would tell a caller which key it holds.
async fn ensure_new_key(
    connection: &mut AsyncPgConnection,
    digest: &[u8],
) -> Result<(), ServiceError> {
    let stored: Option<Uuid> = api_keys::table
        .filter(api_keys::key_sha256.eq(digest))
        .select(api_keys::id)
        .first(connection)
        .await
        .optional()?;
    match stored {
        Some(_) => Err(ServiceError::Conflict {
            faults: vec![Fault::field("key", "this key is already stored")],
        }),
        None => Ok(()),
    }
}
