//! The write side of database mode: listing, reading and changing each resource, every
//! change checked against the whole configuration it would leave before it is committed.
//!
//! Each write runs in one transaction that first locks the revision row, so writes happen
//! one at a time: the configuration a write is checked against is the one it commits
//! into, and two writers cannot each pass the check and together break it.

mod api_keys;
mod models;
mod pipelines;
mod providers;
mod resource;
mod secrets;

use std::sync::Arc;

use diesel::prelude::*;
use diesel::result::DatabaseErrorKind;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

pub use api_keys::{ApiKey, ApiKeyChanges, CreatedApiKey, NewApiKey};
pub use models::{ModelChanges, ModelDefinition, NewModel};
pub use pipelines::{NewPipeline, Pipeline, PipelineChanges, PluginInput, PluginType, PluginView};
pub use providers::{NewProvider, Provider, ProviderChanges};
pub use secrets::{NewSecret, Secret, SecretChanges};

use crate::db::{Database, DatabaseError};
use crate::fault::{Fault, ResourceKind};
use crate::keys::{CipherError, Keyring};
use crate::schema::config_revision;

/// The most items one page of a list holds.
pub const MAX_PAGE_SIZE: i64 = 500;
/// The items of a page when the client does not say.
pub const DEFAULT_PAGE_SIZE: i64 = 100;

/// The management service: the database, and the keys that seal secret values.
#[derive(Debug, Clone)]
pub struct Management {
    pub(crate) db: Database,
    pub(crate) keyring: Arc<Keyring>,
}

/// Why a request to the service was refused.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("no {} with id {id}", kind.singular())]
    NotFound { kind: ResourceKind, id: String },
    /// The resource as written is not acceptable; the faults name its fields.
    #[error("{}", lines(faults))]
    Invalid { faults: Vec<Fault> },
    /// The write clashes with what is stored, or would break other resources; the faults
    /// name them.
    #[error("{}", lines(faults))]
    Conflict { faults: Vec<Fault> },
    /// The resource changed since the client read it.
    #[error(
        "the {} is at version {current}, not the one this change was based on",
        kind.singular()
    )]
    Stale {
        kind: ResourceKind,
        current: i64,
        failed: Condition,
    },
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("cannot seal a secret value: {0}")]
    Cipher(#[from] CipherError),
    #[error("the system has no randomness to draw a key from")]
    Random,
}

impl From<diesel::result::Error> for ServiceError {
    fn from(error: diesel::result::Error) -> Self {
        match &error {
            diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // Names are checked before writing, under the write lock: only a change
                // made around the service reaches here.
                let field = info.constraint_name().map_or("name", constraint_field);
                ServiceError::Conflict {
                    faults: vec![Fault::field(field, "already used")],
                }
            }
            diesel::result::Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                ServiceError::Conflict {
                    faults: vec![Fault::field("", "other resources still refer to this one")],
                }
            }
            // The database went away in the middle of the request.
            diesel::result::Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => ServiceError::Database(DatabaseError::Unreachable(info.message().to_owned())),
            _ => ServiceError::Database(DatabaseError::Query(error)),
        }
    }
}

/// The field a unique constraint guards: PostgreSQL names them `{table}_{column}_key`.
fn constraint_field(constraint: &str) -> &'static str {
    if constraint.ends_with("_key_key") || constraint.ends_with("_key_sha256_key") {
        "key"
    } else {
        "name"
    }
}

fn lines(faults: &[Fault]) -> String {
    let lines: Vec<String> = faults.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// What a change is conditional on: the version the client read, from `If-Match` or from
/// the body's `version`. Each given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Precondition {
    /// One of these versions; any version when empty (`If-Match: *`).
    pub if_match: Option<Vec<i64>>,
    pub version: Option<i64>,
}

/// Which condition did not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    IfMatch,
    Version,
}

impl Precondition {
    /// Whether a resource at `current` may be changed.
    fn check(&self, kind: ResourceKind, current: i64) -> Result<(), ServiceError> {
        let stale = |failed| ServiceError::Stale {
            kind,
            current,
            failed,
        };
        if let Some(versions) = &self.if_match
            && !versions.is_empty()
            && !versions.contains(&current)
        {
            return Err(stale(Condition::IfMatch));
        }
        if self.version.is_some_and(|version| version != current) {
            return Err(stale(Condition::Version));
        }
        Ok(())
    }

    /// This condition with the body's `version`, when the body gives one.
    fn with_version(self, version: Option<i64>) -> Precondition {
        Precondition {
            version: version.or(self.version),
            ..self
        }
    }
}

/// Which page of a list: items sorted by name, those after `after`.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub limit: Option<i64>,
    pub after: Option<String>,
}

impl PageRequest {
    fn limit(&self) -> i64 {
        self.limit
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE)
    }
}

/// One page of a list, and the cursor of the next when there is one.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    /// A page from rows fetched with one more than `limit`, which tells whether more follow.
    fn from_rows(mut items: Vec<T>, limit: i64, name: impl Fn(&T) -> &str) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = items.len() > limit;
        items.truncate(limit);
        let next_after = more
            .then(|| items.last().map(|item| name(item).to_owned()))
            .flatten();
        Page { items, next_after }
    }

    fn map<U>(self, view: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(view).collect(),
            next_after: self.next_after,
        }
    }
}

impl Management {
    pub fn new(db: Database, keyring: Arc<Keyring>) -> Management {
        Management { db, keyring }
    }

    /// The database, for health checks.
    pub fn database(&self) -> &Database {
        &self.db
    }

    pub(crate) async fn connection(&self) -> Result<crate::db::Connection, ServiceError> {
        Ok(self.db.connection().await?)
    }
}

/// Takes the write lock: the revision row, which every change to the configuration
/// updates, so writers queue here until the one ahead commits.
pub(crate) async fn lock_for_write(connection: &mut AsyncPgConnection) -> Result<(), ServiceError> {
    config_revision::table
        .select(config_revision::revision)
        .for_update()
        .first::<i64>(connection)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preconditions_hold_for_the_current_version_only() {
        let kind = ResourceKind::Provider;
        let check =
            |if_match: Option<Vec<i64>>, version| Precondition { if_match, version }.check(kind, 3);
        assert!(check(None, None).is_ok());
        assert!(check(Some(vec![]), None).is_ok());
        assert!(check(Some(vec![2, 3]), Some(3)).is_ok());

        let stale = check(Some(vec![2]), None).unwrap_err();
        assert_eq!(
            stale.to_string(),
            "the provider is at version 3, not the one this change was based on"
        );
        assert!(matches!(
            check(Some(vec![3]), Some(2)),
            Err(ServiceError::Stale {
                failed: Condition::Version,
                ..
            })
        ));
    }

    #[test]
    fn the_body_version_joins_the_header() {
        let header = Precondition {
            if_match: Some(vec![4]),
            version: None,
        };
        let both = header.with_version(Some(1));
        assert_eq!(both.if_match, Some(vec![4]));
        assert_eq!(both.version, Some(1));
    }

    #[test]
    fn names_the_field_a_unique_constraint_guards() {
        assert_eq!(constraint_field("model_definitions_key_key"), "key");
        assert_eq!(constraint_field("providers_name_key"), "name");
        assert_eq!(constraint_field("secrets_name_key"), "name");
        assert_eq!(constraint_field("api_keys_key_sha256_key"), "key");
        assert_eq!(constraint_field("api_keys_name_key"), "name");
    }

    #[test]
    fn a_page_says_where_the_next_starts() {
        let page = Page::from_rows(vec!["a", "b", "c"], 2, |name| name);
        assert_eq!(page.items, ["a", "b"]);
        assert_eq!(page.next_after.as_deref(), Some("b"));

        let last = Page::from_rows(vec!["c"], 2, |name| name);
        assert_eq!(last.next_after, None);
    }

    #[test]
    fn page_sizes_are_bounded() {
        let size = |limit| PageRequest { limit, after: None }.limit();
        assert_eq!(size(None), DEFAULT_PAGE_SIZE);
        assert_eq!(size(Some(0)), 1);
        assert_eq!(size(Some(10_000)), MAX_PAGE_SIZE);
    }
}
