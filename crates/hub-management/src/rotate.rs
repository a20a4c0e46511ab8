//! Key rotation: every value sealed under a previous key is opened and sealed again under
//! the current one, in one transaction, so the previous key can then be retired.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::credentials::{self, PROVIDER_CREDENTIALS, TRACING_CREDENTIALS};
use crate::fault::{Fault, ResourceKind, ResourceRef};
use crate::keys::{Keyring, Sealed};
use crate::rows::{ConfigRows, SecretRow};
use crate::schema::{pipeline_plugins, providers, secrets};
use crate::service::{Management, ServiceError, lock_for_write};

/// How many values a rotation sealed again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Rows of `/secrets`.
    pub secrets: usize,
    /// Literal credentials in providers' and plugins' settings.
    pub credentials: usize,
}

impl Management {
    /// Seals every value not under the current key again under it. Values already under
    /// it are left alone, so running it twice does nothing the second time. A value no
    /// key of the ring opens stops the rotation, and nothing changes.
    pub async fn rotate_keys(&self) -> Result<RotationReport, ServiceError> {
        let keyring = &self.keyring;
        let mut connection = self.connection().await?;
        connection
            .transaction(async move |connection| {
                lock_for_write(connection).await?;
                let rows = ConfigRows::load(connection).await?;

                let secrets = reseal_secrets(connection, &rows, keyring).await?;
                let credentials = reseal_providers(connection, &rows, keyring).await?
                    + reseal_plugins(connection, &rows, keyring).await?;
                Ok(RotationReport {
                    secrets,
                    credentials,
                })
            })
            .await
    }
}

async fn reseal_secrets(
    connection: &mut AsyncPgConnection,
    rows: &ConfigRows,
    keyring: &Keyring,
) -> Result<usize, ServiceError> {
    let mut count = 0;
    for row in rows
        .secrets
        .iter()
        .filter(|row| keyring.is_stale(&row.sealed()))
    {
        let resource = reference(ResourceKind::Secret, row.id, &row.name);
        let sealed = reseal(
            keyring,
            &row.sealed(),
            &SecretRow::context(row.id),
            &resource,
            "value",
        )?;
        diesel::update(secrets::table.find(row.id))
            .set((
                secrets::key_id.eq(sealed.key_id),
                secrets::nonce.eq(sealed.nonce),
                secrets::ciphertext.eq(sealed.ciphertext),
            ))
            .execute(connection)
            .await?;
        count += 1;
    }
    Ok(count)
}

async fn reseal_providers(
    connection: &mut AsyncPgConnection,
    rows: &ConfigRows,
    keyring: &Keyring,
) -> Result<usize, ServiceError> {
    let mut count = 0;
    for row in &rows.providers {
        let resource = reference(ResourceKind::Provider, row.id, &row.name);
        let owner = format!("provider/{}", row.id);
        let settings = Settings {
            value: &row.config,
            credentials: PROVIDER_CREDENTIALS,
            owner: &owner,
            path: "config".to_owned(),
        };
        let (config, resealed) = reseal_settings(&settings, keyring, &resource)?;
        if resealed > 0 {
            diesel::update(providers::table.find(row.id))
                .set(providers::config.eq(config))
                .execute(connection)
                .await?;
            count += resealed;
        }
    }
    Ok(count)
}

async fn reseal_plugins(
    connection: &mut AsyncPgConnection,
    rows: &ConfigRows,
    keyring: &Keyring,
) -> Result<usize, ServiceError> {
    let mut count = 0;
    for plugin in rows.plugins.iter().filter(|p| p.plugin_type == "tracing") {
        let name = rows
            .pipelines
            .iter()
            .find(|pipeline| pipeline.id == plugin.pipeline_id)
            .map_or("", |pipeline| pipeline.name.as_str());
        let resource = reference(ResourceKind::Pipeline, plugin.pipeline_id, name);
        let owner = format!("pipeline/{}/tracing", plugin.pipeline_id);
        let settings = Settings {
            value: &plugin.config_data,
            credentials: TRACING_CREDENTIALS,
            owner: &owner,
            path: format!("plugins[{}].config_data", plugin.position),
        };
        let (config, resealed) = reseal_settings(&settings, keyring, &resource)?;
        if resealed > 0 {
            let key = (plugin.pipeline_id, plugin.position);
            diesel::update(pipeline_plugins::table.find(key))
                .set(pipeline_plugins::config_data.eq(config))
                .execute(connection)
                .await?;
            count += resealed;
        }
    }
    Ok(count)
}

/// A settings column, its credential settings, what its values are bound to, and its field
/// in faults.
struct Settings<'a> {
    value: &'a Value,
    credentials: &'a [&'a str],
    owner: &'a str,
    path: String,
}

/// The settings with each stale literal sealed again, and how many there were.
fn reseal_settings(
    settings: &Settings<'_>,
    keyring: &Keyring,
    resource: &ResourceRef,
) -> Result<(Value, usize), ServiceError> {
    let mut resealed_settings = settings.value.clone();
    let mut count = 0;
    for (name, sealed) in credentials::sealed_literals(settings.value, settings.credentials) {
        if !keyring.is_stale(&sealed) {
            continue;
        }
        let context = credentials::context(settings.owner, &name);
        let field = format!("{}.{name}", settings.path);
        let resealed = reseal(keyring, &sealed, &context, resource, &field)?;
        resealed_settings[name.as_str()] = credentials::stored_literal(resealed);
        count += 1;
    }
    Ok((resealed_settings, count))
}

fn reseal(
    keyring: &Keyring,
    sealed: &Sealed,
    context: &str,
    resource: &ResourceRef,
    field: &str,
) -> Result<Sealed, ServiceError> {
    let refused = |error: crate::keys::CipherError| ServiceError::Invalid {
        faults: vec![Fault::new(Some(resource.clone()), field, error.to_string())],
    };
    let value = keyring.open(sealed, context).map_err(refused)?;
    keyring
        .seal(value.expose_secret(), context)
        .map_err(refused)
}

fn reference(kind: ResourceKind, id: uuid::Uuid, name: &str) -> ResourceRef {
    ResourceRef {
        kind,
        id,
        name: name.to_owned(),
    }
}
