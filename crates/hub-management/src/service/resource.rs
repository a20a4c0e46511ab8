//! What every resource shares: reading one, reading a page, and the one path every write
//! takes. A resource says only where its rows are, how one is inserted, updated and
//! deleted, and how its view is built from what is stored; the lock, the name and version
//! checks and the check of the whole configuration are done here, the same for all.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{Management, Page, PageRequest, Precondition, ServiceError, lock_for_write};
use crate::assemble::{CheckReferences, assemble};
use crate::fault::{Fault, ResourceKind};
use crate::keys::Keyring;
use crate::rows::{ApiKeyRow, ConfigRows, ModelRow, PipelineRow, ProviderRow, SecretRow};
use crate::schema::{api_keys, model_definitions, pipelines, providers, secrets};

/// One resource as read from the database: found by id or by name, or a page at a time.
pub(super) trait Stored: Send + Sized {
    /// The field, and the column, that names one, unique among its kind.
    const NAME_FIELD: &'static str;

    fn version(&self) -> i64;

    /// The name or key pages are sorted by.
    fn name(&self) -> &str;

    fn find(
        connection: &mut AsyncPgConnection,
        id: Uuid,
    ) -> impl Future<Output = QueryResult<Option<Self>>> + Send;

    /// At most `limit` of them, sorted by name, those after `after`.
    fn page(
        connection: &mut AsyncPgConnection,
        after: Option<&str>,
        limit: i64,
    ) -> impl Future<Output = QueryResult<Vec<Self>>> + Send;

    /// The id of the one with this name.
    fn named(
        connection: &mut AsyncPgConnection,
        name: &str,
    ) -> impl Future<Output = QueryResult<Option<Uuid>>> + Send;

    fn delete(
        connection: &mut AsyncPgConnection,
        id: Uuid,
    ) -> impl Future<Output = QueryResult<usize>> + Send;
}

/// [`Stored`] for a resource kept whole in one row of `$table`, named by its column `$name`.
macro_rules! stored_in_one_row {
    ($row:ty, $table:ident, $name:ident) => {
        impl Stored for $row {
            const NAME_FIELD: &'static str = stringify!($name);

            fn version(&self) -> i64 {
                self.version
            }

            fn name(&self) -> &str {
                &self.$name
            }

            async fn find(
                connection: &mut AsyncPgConnection,
                id: Uuid,
            ) -> QueryResult<Option<$row>> {
                let query = $table::table.find(id).select(<$row>::as_select());
                query.first(connection).await.optional()
            }

            async fn page(
                connection: &mut AsyncPgConnection,
                after: Option<&str>,
                limit: i64,
            ) -> QueryResult<Vec<$row>> {
                let mut query = $table::table
                    .select(<$row>::as_select())
                    .order($table::$name)
                    .limit(limit)
                    .into_boxed();
                if let Some(after) = after {
                    query = query.filter($table::$name.gt(after.to_owned()));
                }
                query.load(connection).await
            }

            async fn named(
                connection: &mut AsyncPgConnection,
                name: &str,
            ) -> QueryResult<Option<Uuid>> {
                let query = $table::table.filter($table::$name.eq(name));
                query.select($table::id).first(connection).await.optional()
            }

            async fn delete(connection: &mut AsyncPgConnection, id: Uuid) -> QueryResult<usize> {
                diesel::delete($table::table.find(id))
                    .execute(connection)
                    .await
            }
        }
    };
}

stored_in_one_row!(ProviderRow, providers, name);
stored_in_one_row!(ModelRow, model_definitions, key);
stored_in_one_row!(SecretRow, secrets, name);
stored_in_one_row!(ApiKeyRow, api_keys, name);
// Read with its plugins as a pipeline's `Stored`.
stored_in_one_row!(PipelineRow, pipelines, name);

/// A kind of resource, implemented by the view reads show of it, which is built from what
/// is stored.
pub(super) trait Resource: From<Self::Stored> + Send {
    const KIND: ResourceKind;

    type Stored: Stored;
    /// A new one as it is inserted: credentials sealed, a key digested.
    type New: Send;
    /// Changes to one, as [`Resource::update`] writes them.
    type Changes: Send;

    fn new_name(new: &Self::New) -> &str;

    /// The new name the changes give, if they rename it.
    fn renamed(changes: &Self::Changes) -> Option<&str>;

    /// Inserts `new` as `id`, first refusing what it names that is not stored.
    fn insert(
        connection: &mut AsyncPgConnection,
        id: Uuid,
        new: Self::New,
    ) -> impl Future<Output = Result<(), ServiceError>> + Send;

    /// Writes `changes` over `current`, which becomes `version`; a credential given in the
    /// changes is sealed with `keyring`.
    fn update(
        connection: &mut AsyncPgConnection,
        keyring: &Keyring,
        current: Self::Stored,
        changes: Self::Changes,
        version: i64,
    ) -> impl Future<Output = Result<(), ServiceError>> + Send;

    /// Refuses to delete `current` when a rule of its own keeps it; by default none does.
    fn ensure_deletable(
        _: &mut AsyncPgConnection,
        _: &Self::Stored,
    ) -> impl Future<Output = Result<(), ServiceError>> + Send {
        async { Ok(()) }
    }
}

impl Management {
    pub(super) async fn get<R: Resource>(&self, id: Uuid) -> Result<R, ServiceError> {
        let mut connection = self.connection().await?;
        Ok(find::<R>(&mut connection, id).await?.into())
    }

    pub(super) async fn list<R: Resource>(
        &self,
        page: &PageRequest,
    ) -> Result<Page<R>, ServiceError> {
        let mut connection = self.connection().await?;
        let after = page.after.as_deref();
        let stored = R::Stored::page(&mut connection, after, page.limit() + 1).await?;
        Ok(Page::from_rows(stored, page.limit(), Stored::name).map(R::from))
    }

    /// Creates `new` as `id`.
    pub(super) async fn create<R: Resource>(
        &self,
        id: Uuid,
        new: R::New,
    ) -> Result<R, ServiceError> {
        check_name(R::Stored::NAME_FIELD, R::new_name(&new))?;

        let mut connection = self.connection().await?;
        let stored = connection
            .transaction(async move |connection| {
                lock_for_write(connection).await?;
                ensure_free::<R>(connection, R::new_name(&new), None).await?;

                R::insert(connection, id, new).await?;

                check_whole(connection, R::KIND, id).await?;
                find::<R>(connection, id).await
            })
            .await?;
        Ok(stored.into())
    }

    /// Changes the one with `id`, if `precondition` holds for it.
    pub(super) async fn update<R: Resource>(
        &self,
        id: Uuid,
        changes: R::Changes,
        precondition: Precondition,
    ) -> Result<R, ServiceError> {
        if let Some(name) = R::renamed(&changes) {
            check_name(R::Stored::NAME_FIELD, name)?;
        }
        let keyring = &self.keyring;

        let mut connection = self.connection().await?;
        let stored = connection
            .transaction(async move |connection| {
                let current = lock_current::<R>(connection, id, &precondition).await?;
                if let Some(name) = R::renamed(&changes) {
                    ensure_free::<R>(connection, name, Some(id)).await?;
                }

                let version = current.version() + 1;
                R::update(connection, keyring, current, changes, version).await?;

                check_whole(connection, R::KIND, id).await?;
                find::<R>(connection, id).await
            })
            .await?;
        Ok(stored.into())
    }

    /// Deletes the one with `id`, if `precondition` holds for it.
    pub(super) async fn delete<R: Resource>(
        &self,
        id: Uuid,
        precondition: Precondition,
    ) -> Result<(), ServiceError> {
        let mut connection = self.connection().await?;
        connection
            .transaction(async move |connection| {
                let current = lock_current::<R>(connection, id, &precondition).await?;

                R::ensure_deletable(connection, &current).await?;
                R::Stored::delete(connection, id).await?;

                check_whole(connection, R::KIND, id).await
            })
            .await
    }
}

async fn find<R: Resource>(
    connection: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<R::Stored, ServiceError> {
    R::Stored::find(connection, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            kind: R::KIND,
            id: id.to_string(),
        })
}

/// Takes the write lock, then reads the one a change is for and checks the client's
/// condition on it.
async fn lock_current<R: Resource>(
    connection: &mut AsyncPgConnection,
    id: Uuid,
    precondition: &Precondition,
) -> Result<R::Stored, ServiceError> {
    lock_for_write(connection).await?;
    let current = find::<R>(connection, id).await?;
    precondition.check(R::KIND, current.version())?;
    Ok(current)
}

/// Refuses a name or key another one has.
async fn ensure_free<R: Resource>(
    connection: &mut AsyncPgConnection,
    name: &str,
    except: Option<Uuid>,
) -> Result<(), ServiceError> {
    match R::Stored::named(connection, name).await? {
        Some(holder) if Some(holder) != except => Err(ServiceError::Conflict {
            faults: vec![Fault::field(
                R::Stored::NAME_FIELD,
                format!("another {} is already named {name:?}", R::KIND.singular()),
            )],
        }),
        _ => Ok(()),
    }
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
const MAX_NAME_CHARS: usize = 256;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
