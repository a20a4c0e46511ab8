//! The write side of database mode: listing, reading and changing each resource, every
//! change checked against the whole configuration it would leave before it is committed.
//!
//! Each write runs in one transaction that first locks the revision row, so writes happen
//! one at a time: the configuration a write is checked against is the one it commits
//! into, and two writers cannot each pass the check and together break it.

// TODO: one generic write path; each resource repeats its load, check, write, bump steps.
mod api_keys;
mod models;
mod pipelines;
mod providers;
mod secrets;

use std::collections::BTreeMap;
use std::sync::Arc;

use diesel::prelude::*;
use diesel::result::DatabaseErrorKind;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

pub use api_keys::{ApiKey, ApiKeyChanges, CreatedApiKey, NewApiKey};
pub use models::{ModelChanges, ModelDefinition, NewModel};
pub use pipelines::{NewPipeline, Pipeline, PipelineChanges, PluginInput, PluginType, PluginView};
pub use providers::{NewProvider, Provider, ProviderChanges};
pub use secrets::{NewSecret, Secret, SecretChanges};

use crate::assemble::{CheckReferences, assemble};
use crate::db::{Database, DatabaseError};
use crate::fault::{Fault, ResourceKind};
use crate::keys::{CipherError, Keyring};
use crate::rows::ConfigRows;
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

/// Checks the whole configuration as the write leaves it. Faults of the written resource
/// make it invalid (422); faults of others, which the write would break, a conflict (409).
async fn check_whole(
    connection: &mut AsyncPgConnection,
    kind: ResourceKind,
    id: Uuid,
) -> Result<(), ServiceError> {
    let rows = ConfigRows::load(connection).await?;
    let references = CheckReferences {
        secret_names: rows.secrets.iter().map(|row| row.name.as_str()).collect(),
    };
    // The gateway's own variables, such as TRACE_CONTENT_ENABLED, are not the service's
    // to judge.
    let environment = BTreeMap::<String, String>::new();

    let Err(faults) = assemble(&rows, &references, &environment) else {
        return Ok(());
    };
    let written = |fault: &Fault| {
        fault
            .resource
            .as_ref()
            .is_some_and(|resource| resource.is(kind, id))
    };
    let own = faults.iter().any(written);
    let faults = faults
        .into_iter()
        .map(|mut fault| {
            if written(&fault) {
                fault.resource = None;
            }
            fault
        })
        .collect();

    Err(if own {
        ServiceError::Invalid { faults }
    } else {
        ServiceError::Conflict { faults }
    })
}

/// The longest name or key, in characters. Names are unique, and PostgreSQL cannot index a
/// value of more than about 2,700 bytes: a longer one must be refused here as the client's
/// fault rather than fail the insert as a server error.
pub(crate) const MAX_NAME_CHARS: usize = 256;

/// A name or key must say something, whether or not the resource is enabled, and fit the
/// index that keeps it unique.
fn check_name(field: &str, name: &str) -> Result<(), ServiceError> {
    let invalid = |message: String| ServiceError::Invalid {
        faults: vec![Fault::field(field, message)],
    };
    if name.trim().is_empty() {
        return Err(invalid("must not be empty".to_owned()));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "must be at most {MAX_NAME_CHARS} characters long"
        )));
    }
    Ok(())
}

fn taken(field: &str, name: &str, kind: ResourceKind) -> ServiceError {
    ServiceError::Conflict {
        faults: vec![Fault::field(
            field,
            format!("another {} is already named {name:?}", kind.singular()),
        )],
    }
}

fn not_found(kind: ResourceKind, id: Uuid) -> ServiceError {
    ServiceError::NotFound {
        kind,
        id: id.to_string(),
    }
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
    fn names_must_fit_the_unique_index() {
        assert!(check_name("name", &"é".repeat(MAX_NAME_CHARS)).is_ok());
        let long = check_name("name", &"a".repeat(MAX_NAME_CHARS + 1)).unwrap_err();
        assert!(
            long.to_string().contains("at most 256 characters"),
            "{long}"
        );
        assert!(check_name("name", " ").is_err());
    }

    #[test]
    fn page_sizes_are_bounded() {
        let size = |limit| PageRequest { limit, after: None }.limit();
        assert_eq!(size(None), DEFAULT_PAGE_SIZE);
        assert_eq!(size(Some(0)), 1);
        assert_eq!(size(Some(10_000)), MAX_PAGE_SIZE);
    }
}
