//! Rows into the configuration model: the enabled rows are laid out in the shape of a YAML
//! file, credentials resolved, and the result read and validated by `hub-config` exactly as
//! a file is. Every fault is named back in the API's terms: the resource, and its field.

use std::collections::HashMap;

use hub_config::Environment;
use hub_core::config::HubConfig;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::credentials::{self, PROVIDER_CREDENTIALS, Resolve, TRACING_CREDENTIALS};
use crate::fault::{Fault, ResourceKind, ResourceRef};
use crate::rows::{ApiKeyRow, ConfigRows, ModelRow, PipelineRow, ProviderRow};

/// Settings a `config` object must not hold, as the resource's own fields say them.
const PROVIDER_RESERVED: &[(&str, &str)] = &[("key", "name"), ("type", "provider_type")];
const MODEL_RESERVED: &[(&str, &str)] = &[
    ("key", "key"),
    ("type", "model_type"),
    ("provider", "provider_id"),
];

/// The configuration the enabled rows describe, or every fault found in it.
pub(crate) fn assemble(
    rows: &ConfigRows,
    resolver: &dyn Resolve,
    env: &dyn Environment,
) -> Result<HubConfig, Vec<Fault>> {
    let mut layout = Layout::default();
    let providers: Vec<Value> = enabled(&rows.providers, |row| row.enabled)
        .map(|row| layout.provider(row, resolver))
        .collect();
    let models: Vec<Value> = enabled(&rows.models, |row| row.enabled)
        .map(|row| layout.model(row, rows))
        .collect();
    let pipelines: Vec<Value> = enabled(&rows.pipelines, |row| row.enabled)
        .map(|row| layout.pipeline(row, rows, resolver))
        .collect();

    // Disabled keys too: a gateway whose every key is disabled must refuse every client,
    // not fall back to serving all of them.
    let access_keys: Vec<Value> = rows
        .api_keys
        .iter()
        .map(|row| layout.api_key(row))
        .collect();

    let tree = json!({
        "general": {"access_keys": access_keys},
        "providers": providers,
        "models": models,
        "pipelines": pipelines,
    });
    let checked = hub_config::load_value(&tree, env);
    let mut faults = layout.faults;
    if let Err(error) = &checked {
        for fault in error.faults() {
            let fault = layout.origins.name(&fault.path, &fault.message);
            // A reference the layout already explained (a disabled model, say) is also a
            // dangling name to hub-config; the layout's words are the clearer.
            if !faults.iter().any(|known| same_place(known, &fault)) {
                faults.push(fault);
            }
        }
    }

    match checked {
        Ok(config) if faults.is_empty() => Ok(config),
        _ => Err(faults),
    }
}

fn enabled<T>(rows: &[T], is_enabled: impl Fn(&T) -> bool) -> impl Iterator<Item = &T> {
    rows.iter().filter(move |row| is_enabled(row))
}

fn same_place(a: &Fault, b: &Fault) -> bool {
    a.resource == b.resource && a.field == b.field
}

/// The tree being laid out, where each of its entries came from, and the faults found on
/// the way.
#[derive(Default)]
struct Layout {
    origins: Origins,
    faults: Vec<Fault>,
}

impl Layout {
    fn provider(&mut self, row: &ProviderRow, resolver: &dyn Resolve) -> Value {
        let resource = resource(ResourceKind::Provider, row.id, &row.name);
        let settings = self.settings(&row.config, "config", &resource, PROVIDER_RESERVED);
        let owner = format!("provider/{}", row.id);
        let mut entry = self.resolved(
            &settings,
            PROVIDER_CREDENTIALS,
            &owner,
            resolver,
            "config",
            &resource,
        );

        entry.insert("key".to_owned(), json!(row.name));
        entry.insert("type".to_owned(), json!(row.provider_type));
        self.origins.providers.push(resource);
        Value::Object(entry)
    }

    fn model(&mut self, row: &ModelRow, rows: &ConfigRows) -> Value {
        let resource = resource(ResourceKind::ModelDefinition, row.id, &row.key);
        let mut entry = self.settings(&row.config, "config", &resource, MODEL_RESERVED);

        let provider = rows.providers.iter().find(|p| p.id == row.provider_id);
        match provider {
            None => self.fault(&resource, "provider_id", "no provider has this id"),
            Some(provider) if !provider.enabled => self.fault(
                &resource,
                "provider_id",
                format!(
                    "provider {:?} is disabled; disable this model too, or enable it",
                    provider.name
                ),
            ),
            Some(_) => {}
        }

        entry.insert("key".to_owned(), json!(row.key));
        entry.insert("type".to_owned(), json!(row.model_type));
        let provider_name = provider.map_or("", |provider| provider.name.as_str());
        entry.insert("provider".to_owned(), json!(provider_name));
        self.origins.models.push(resource);
        Value::Object(entry)
    }

    fn pipeline(&mut self, row: &PipelineRow, rows: &ConfigRows, resolver: &dyn Resolve) -> Value {
        let resource = resource(ResourceKind::Pipeline, row.id, &row.name);
        let mut plugins: Vec<_> = rows
            .plugins_of(row.id)
            .filter(|plugin| plugin.enabled)
            .collect();
        plugins.sort_by_key(|plugin| (plugin.order_in_pipeline, plugin.position));

        let mut positions = Vec::new();
        let mut entries = Vec::new();
        for plugin in plugins {
            let path = format!("plugins[{}].config_data", plugin.position);
            let mut data = self.settings(&plugin.config_data, &path, &resource, &[]);
            if plugin.plugin_type == "tracing" {
                let owner = format!("pipeline/{}/tracing", row.id);
                data = self.resolved(
                    &data,
                    TRACING_CREDENTIALS,
                    &owner,
                    resolver,
                    &path,
                    &resource,
                );
            }
            if plugin.plugin_type == "model-router" {
                self.check_router_models(&data, &path, &resource, rows);
            }
            entries.push(json!({ plugin.plugin_type.clone(): data }));
            positions.push(plugin.position);
        }

        self.origins.pipelines.push((resource, positions));
        json!({"name": row.name, "type": row.pipeline_type, "plugins": entries})
    }

    /// A key, by its digest: the gateway never learns the key itself.
    fn api_key(&mut self, row: &ApiKeyRow) -> Value {
        self.origins
            .api_keys
            .push(resource(ResourceKind::ApiKey, row.id, &row.name));
        json!({
            "name": row.name,
            "key_sha256": hex::encode(&row.key_sha256),
            "enabled": row.enabled,
        })
    }

    /// A settings column as an object, without the settings the resource's own fields give.
    fn settings(
        &mut self,
        value: &Value,
        path: &str,
        resource: &ResourceRef,
        reserved: &[(&str, &str)],
    ) -> Map<String, Value> {
        let Some(object) = value.as_object() else {
            self.fault(resource, path, "must be a JSON object");
            return Map::new();
        };
        let mut settings = object.clone();
        for (name, field) in reserved {
            if settings.remove(*name).is_some() {
                let message = format!("not a setting; it is the resource's `{field}`");
                self.fault(resource, format!("{path}.{name}"), message);
            }
        }
        settings
    }

    fn resolved(
        &mut self,
        settings: &Map<String, Value>,
        credentials: &[&str],
        owner: &str,
        resolver: &dyn Resolve,
        path: &str,
        resource: &ResourceRef,
    ) -> Map<String, Value> {
        let mut problems = Vec::new();
        let resolved = credentials::resolve(settings, credentials, owner, resolver, &mut problems);
        for (name, message) in problems {
            self.fault(resource, format!("{path}.{name}"), message);
        }
        resolved
    }

    /// A router naming a model that exists but is disabled: say so, rather than leave
    /// hub-config to report a name it cannot find.
    fn check_router_models(
        &mut self,
        data: &Map<String, Value>,
        path: &str,
        resource: &ResourceRef,
        rows: &ConfigRows,
    ) {
        let Some(models) = data.get("models").and_then(Value::as_array) else {
            return;
        };
        for (index, name) in models.iter().enumerate() {
            let Some(name) = name.as_str() else { continue };
            let disabled = rows
                .models
                .iter()
                .any(|model| model.key == name && !model.enabled);
            if disabled {
                let message = format!("model {name:?} is disabled");
                self.fault(resource, format!("{path}.models[{index}]"), message);
            }
        }
    }

    fn fault(
        &mut self,
        resource: &ResourceRef,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.faults
            .push(Fault::new(Some(resource.clone()), field, message));
    }
}

fn resource(kind: ResourceKind, id: Uuid, name: &str) -> ResourceRef {
    ResourceRef {
        kind,
        id,
        name: name.to_owned(),
    }
}

/// Which resource each entry of the laid-out tree came from, to name hub-config's faults
/// (`models[2].provider`) in the API's terms (`provider_id` of model definition "x").
#[derive(Default)]
struct Origins {
    providers: Vec<ResourceRef>,
    models: Vec<ResourceRef>,
    /// Each pipeline, and the position of each of its laid-out plugins.
    pipelines: Vec<(ResourceRef, Vec<i32>)>,
    api_keys: Vec<ResourceRef>,
}

impl Origins {
    fn name(&self, path: &str, message: &str) -> Fault {
        let located = split_entry(path).and_then(|(section, index, rest)| match section {
            "providers" => {
                let resource = self.providers.get(index)?;
                Some((resource, provider_field(rest)))
            }
            "models" => {
                let resource = self.models.get(index)?;
                Some((resource, model_field(rest)))
            }
            "pipelines" => {
                let (resource, positions) = self.pipelines.get(index)?;
                Some((resource, pipeline_field(rest, positions)))
            }
            "general.access_keys" => {
                let resource = self.api_keys.get(index)?;
                let field = if rest == "key_sha256" { "key" } else { rest };
                Some((resource, field.to_owned()))
            }
            _ => None,
        });
        match located {
            Some((resource, field)) => Fault::new(Some(resource.clone()), field, message),
            None => Fault::new(None, path, message),
        }
    }
}

/// `models[2].provider` as `("models", 2, "provider")`; the rest is empty for the entry
/// itself.
fn split_entry(path: &str) -> Option<(&str, usize, &str)> {
    let (section, after) = path.split_once('[')?;
    let (index, rest) = after.split_once(']')?;
    let index = index.parse().ok()?;
    Some((section, index, rest.strip_prefix('.').unwrap_or(rest)))
}

fn provider_field(rest: &str) -> String {
    match rest {
        "key" => "name".to_owned(),
        "type" => "provider_type".to_owned(),
        "" => "config".to_owned(),
        setting => format!("config.{setting}"),
    }
}

fn model_field(rest: &str) -> String {
    match rest {
        "key" => "key".to_owned(),
        "type" => "model_type".to_owned(),
        "provider" => "provider_id".to_owned(),
        "" => "config".to_owned(),
        setting => format!("config.{setting}"),
    }
}

/// `plugins[0].model-router.models[1]` of the laid-out pipeline is
/// `plugins[{position}].config_data.models[1]` of the resource.
fn pipeline_field(rest: &str, positions: &[i32]) -> String {
    match rest {
        "" | "plugins" => return "plugins".to_owned(),
        "name" => return "name".to_owned(),
        "type" => return "pipeline_type".to_owned(),
        _ => {}
    }
    let Some((_, index, tail)) = split_entry(rest) else {
        return rest.to_owned();
    };
    let Some(position) = positions.get(index) else {
        return rest.to_owned();
    };

    // The tail starts with the plugin's kind, which the resource holds in `plugin_type`.
    let inside = tail.find(['.', '[']).map_or("", |start| &tail[start..]);
    if tail.is_empty() {
        format!("plugins[{position}]")
    } else {
        format!("plugins[{position}].config_data{inside}")
    }
}

/// Resolution that checks references without reading any value: what a write is
/// validated with, as the management service holds no gateway's environment.
pub(crate) struct CheckReferences<'a> {
    pub(crate) secret_names: Vec<&'a str>,
}

/// Stands in for every credential during a write's validation: only presence is checked
/// there, and the value itself is never needed.
const PLACEHOLDER: &str = "<credential>";

impl Resolve for CheckReferences<'_> {
    fn literal(&self, _: &crate::keys::Sealed, _: &str) -> Result<String, String> {
        Ok(PLACEHOLDER.to_owned())
    }

    fn environment(&self, _: &str) -> Result<String, String> {
        Ok(PLACEHOLDER.to_owned())
    }

    fn secret(&self, name: &str) -> Result<String, String> {
        if self.secret_names.contains(&name) {
            Ok(PLACEHOLDER.to_owned())
        } else {
            Err(format!("no secret named {name:?}"))
        }
    }
}

/// Resolution with the values themselves, as a gateway needs them.
pub(crate) struct OpenValues<'a> {
    pub(crate) keyring: &'a crate::keys::Keyring,
    pub(crate) env: &'a dyn Environment,
    pub(crate) secrets: HashMap<&'a str, (Uuid, crate::keys::Sealed)>,
}

impl Resolve for OpenValues<'_> {
    fn literal(&self, sealed: &crate::keys::Sealed, context: &str) -> Result<String, String> {
        use secrecy::ExposeSecret;
        self.keyring
            .open(sealed, context)
            .map(|value| value.expose_secret().to_owned())
            .map_err(|error| error.to_string())
    }

    fn environment(&self, name: &str) -> Result<String, String> {
        self.env
            .var(name)
            .ok_or_else(|| format!("environment variable {name} is not set"))
    }

    fn secret(&self, name: &str) -> Result<String, String> {
        use secrecy::ExposeSecret;
        let (id, sealed) = self
            .secrets
            .get(name)
            .ok_or_else(|| format!("no secret named {name:?}"))?;
        self.keyring
            .open(sealed, &crate::rows::SecretRow::context(*id))
            .map(|value| value.expose_secret().to_owned())
            .map_err(|error| format!("secret {name:?} {error}"))
    }
}

#[cfg(test)]
mod tests;
