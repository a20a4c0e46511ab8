//! Reading a configuration: YAML text, then `${NAME}` expansion, then environment overrides
//! merged by figment, then the typed model, then validation.

use std::path::Path;

use figment::Figment;
use figment::error::Kind;
use figment::providers::{Format, Serialized};
use figment::value::Dict;
use hub_core::config::HubConfig;
use serde::Serialize;

use crate::environment::Environment;
use crate::error::{ConfigError, Fault, field, one_of};
use crate::expand::expand_tree;
use crate::limits;
use crate::validate::validate;
use crate::yaml::Yaml;

/// The variable that overrides `general.trace_content_enabled`.
const TRACE_CONTENT_ENABLED: &str = "TRACE_CONTENT_ENABLED";

/// Reads, expands and validates the YAML file at `path`.
pub fn load_file(path: &Path, env: &dyn Environment) -> Result<HubConfig, ConfigError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| {
        let message = match error.kind() {
            std::io::ErrorKind::NotFound => "configuration file not found".to_owned(),
            _ => format!("cannot read the configuration file: {error}"),
        };
        Fault::new(&origin, message)
    })?;

    load_text(&text, &origin, env)
}

/// Reads, expands and validates a YAML document held in memory.
pub fn load_str(yaml: &str, env: &dyn Environment) -> Result<HubConfig, ConfigError> {
    load_text(yaml, "<string>", env)
}

/// Reads and validates a configuration given as a value in the file's shape, as database
/// mode assembles one from its tables. Its strings are taken as they are: `${NAME}` is a
/// file's way to read the environment, and the database names variables explicitly.
pub fn load_value(
    value: &serde_json::Value,
    env: &dyn Environment,
) -> Result<HubConfig, ConfigError> {
    let (overrides, faults) = Overrides::from_env(env);
    ConfigError::check(faults)?;
    let config = extract(value, &overrides)?;
    validate(&config)?;
    Ok(config)
}

/// `origin` names where the text came from, for faults that concern the text as a whole.
fn load_text(text: &str, origin: &str, env: &dyn Environment) -> Result<HubConfig, ConfigError> {
    let mut tree = parse(text, origin)?;

    let mut faults = expand_tree(&mut tree, env);
    let (overrides, override_faults) = Overrides::from_env(env);
    faults.extend(override_faults);

    // A reference that could not be expanded stays as written, so the rest of the file can
    // still be read and checked: the operator learns of every fault in one pass.
    let checked = extract(tree, &overrides).and_then(|config| {
        validate(&config)?;
        Ok(config)
    });
    match checked {
        Ok(config) => ConfigError::check(faults).map(|()| config),
        Err(error) => {
            faults.extend_from_slice(error.faults());
            Err(ConfigError::new(faults))
        }
    }
}

fn parse(text: &str, origin: &str) -> Result<Dict, Fault> {
    Yaml::from_str(text).map_err(|error| Fault::new(origin, format!("invalid YAML: {error}")))
}

/// What environment variables set over the file: `TRACE_CONTENT_ENABLED`, and the limits'
/// `HUB_*` variables.
struct Overrides {
    trace_content: Option<bool>,
    limits: Vec<(String, u64)>,
}

impl Overrides {
    /// The overrides `env` sets, and a fault for each variable it sets wrongly.
    fn from_env(env: &dyn Environment) -> (Overrides, Vec<Fault>) {
        let (limits, mut faults) = limits::overrides(env);
        let trace_content = trace_content_override(env).unwrap_or_else(|fault| {
            faults.push(fault);
            None
        });
        let overrides = Overrides {
            trace_content,
            limits,
        };
        (overrides, faults)
    }
}

/// `TRACE_CONTENT_ENABLED`, when set, wins over `general.trace_content_enabled`.
fn trace_content_override(env: &dyn Environment) -> Result<Option<bool>, Fault> {
    let raw = env.var(TRACE_CONTENT_ENABLED).unwrap_or_default();
    parse_flag(&raw).map_err(|message| Fault::new(TRACE_CONTENT_ENABLED, message))
}

/// `true`, `false`, `1` or `0`, in any case; empty means not set, as an orchestrator that
/// always passes the variable writes it.
fn parse_flag(raw: &str) -> Result<Option<bool>, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" | "1" => Ok(Some(true)),
        "false" | "0" => Ok(Some(false)),
        _ => Err(format!("expected true, false, 1 or 0, found {raw:?}")),
    }
}

fn extract(tree: impl Serialize, overrides: &Overrides) -> Result<HubConfig, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(tree));
    if let Some(enabled) = overrides.trace_content {
        let setting = Serialized::default("general.trace_content_enabled", enabled);
        figment = figment.merge(setting);
    }
    for (path, value) in &overrides.limits {
        figment = figment.merge(Serialized::default(path, value));
    }

    figment
        .extract()
        .map_err(|error| ConfigError::new(error.into_iter().map(fault_from_figment).collect()))
}

/// Renders figment's error in this crate's path style: `pipelines.0.plugins` becomes
/// `pipelines[0].plugins`.
fn fault_from_figment(error: figment::Error) -> Fault {
    let path = render_path(&error.path);

    match error.kind {
        Kind::MissingField(name) => {
            Fault::new(field(&path, &name), "missing; this field is required")
        }
        Kind::UnknownField(_, expected) => Fault::new(
            path,
            format!("unknown field; expected {}", one_of(expected)),
        ),
        Kind::UnknownVariant(found, expected) => Fault::new(
            path,
            format!("unknown value `{found}`; expected {}", one_of(expected)),
        ),
        Kind::DuplicateField(name) => Fault::new(field(&path, name), "given more than once"),
        kind => Fault::new(path, kind.to_string()),
    }
}

fn render_path(segments: &[String]) -> String {
    segments.iter().fold(String::new(), |path, segment| {
        if segment.parse::<usize>().is_ok() {
            format!("{path}[{segment}]")
        } else {
            field(&path, segment)
        }
    })
}

#[cfg(test)]
mod tests;
