//! Credentials as secret objects: how the API takes them, how they are stored, how reads
//! show them, and how a gateway turns them into values.
//!
//! A credential setting (a provider's `api_key`, Azure's `azure_ad_token`, Bedrock's keys,
//! Vertex's `credentials_json`, the tracing plugin's `api_key`) takes one of three objects:
//!
//! - `{"type": "literal", "value": "..."}`: stored sealed, read back masked;
//! - `{"type": "environment", "variable_name": "..."}`: read by each gateway from its own
//!   environment;
//! - `{"type": "secret", "name": "..."}`: the value of a row of `/secrets`.
//!
//! A plain string is refused there, so no credential is ever stored in the clear.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::fault::Fault;
use crate::keys::{CipherError, Keyring, Sealed};

/// What reads show in place of a literal value. Sent back in an update, it keeps the value
/// stored at that setting, so a client can write back what it read.
pub const MASK: &str = "********";

/// A provider's settings that hold credentials, in every spelling the configuration
/// accepts.
pub(crate) const PROVIDER_CREDENTIALS: &[&str] = &[
    "api_key",
    "azure_ad_token",
    "credentials_json",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// The tracing plugin's settings that hold credentials.
pub(crate) const TRACING_CREDENTIALS: &[&str] = &["api_key"];

/// A credential as the API takes it. Not `Debug`: a literal holds the value.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum CredentialInput {
    Literal { value: String },
    Environment { variable_name: String },
    Secret { name: String },
}

/// A credential as stored in a `config` column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum StoredCredential {
    /// Sealed; the nonce and ciphertext in base64.
    Literal {
        key_id: String,
        nonce: String,
        ciphertext: String,
    },
    Environment {
        variable_name: String,
    },
    Secret {
        name: String,
    },
}

impl StoredCredential {
    fn sealed(sealed: Sealed) -> StoredCredential {
        StoredCredential::Literal {
            key_id: sealed.key_id,
            nonce: STANDARD.encode(sealed.nonce),
            ciphertext: STANDARD.encode(sealed.ciphertext),
        }
    }

    /// The sealed value of a literal, or `None` when it is not well-formed base64.
    fn to_sealed(&self) -> Option<Sealed> {
        match self {
            StoredCredential::Literal {
                key_id,
                nonce,
                ciphertext,
            } => Some(Sealed {
                key_id: key_id.clone(),
                nonce: STANDARD.decode(nonce).ok()?,
                ciphertext: STANDARD.decode(ciphertext).ok()?,
            }),
            StoredCredential::Environment { .. } | StoredCredential::Secret { .. } => None,
        }
    }
}

/// What a credential is bound to when sealed: its row and setting.
pub(crate) fn context(owner: &str, setting: &str) -> String {
    format!("{owner}/{setting}")
}

/// Turns the credentials of a settings object given to the API into their stored form:
/// literals sealed under `owner`, references checked. Other settings are kept as given,
/// for validation of the whole configuration to judge. `previous` is what is stored now,
/// which a masked literal keeps; `path` names the object in faults (`config`).
pub(crate) fn seal(
    settings: Map<String, Value>,
    credentials: &[&str],
    previous: Option<&Map<String, Value>>,
    owner: &str,
    keyring: &Keyring,
    path: &str,
) -> Result<Map<String, Value>, Vec<Fault>> {
    let mut sealed = Map::new();
    let mut faults = Vec::new();

    for (name, value) in settings {
        if !credentials.contains(&name.as_str()) {
            sealed.insert(name, value);
            continue;
        }
        let field = format!("{path}.{name}");
        let kept = previous.and_then(|previous| previous.get(&name));
        match seal_one(value, kept, &context(owner, &name), keyring) {
            Ok(stored) => {
                sealed.insert(name, stored);
            }
            Err(message) => faults.push(Fault::field(field, message)),
        }
    }

    if faults.is_empty() {
        Ok(sealed)
    } else {
        Err(faults)
    }
}

fn seal_one(
    value: Value,
    kept: Option<&Value>,
    context: &str,
    keyring: &Keyring,
) -> Result<Value, String> {
    if !value.is_object() {
        return Err(
            "a credential must be a secret object: {\"type\": \"literal\", \"value\": ...}, \
             {\"type\": \"environment\", \"variable_name\": ...} or \
             {\"type\": \"secret\", \"name\": ...}"
                .to_owned(),
        );
    }
    let input: CredentialInput =
        serde_json::from_value(value).map_err(|error| error.to_string())?;

    let stored = match input {
        CredentialInput::Literal { value } if value == MASK => {
            return keep_literal(kept);
        }
        CredentialInput::Literal { value } if value.is_empty() => {
            return Err("`value` must not be empty".to_owned());
        }
        CredentialInput::Literal { value } => {
            let value = SecretString::from(value);
            let sealed = keyring
                .seal(value.expose_secret(), context)
                .map_err(|error| error.to_string())?;
            StoredCredential::sealed(sealed)
        }
        CredentialInput::Environment { variable_name } => {
            if !is_variable_name(&variable_name) {
                return Err(
                    "`variable_name` must be letters, digits and `_`, not starting \
                            with a digit"
                        .to_owned(),
                );
            }
            StoredCredential::Environment { variable_name }
        }
        CredentialInput::Secret { name } => {
            if name.trim().is_empty() {
                return Err("`name` must not be empty".to_owned());
            }
            StoredCredential::Secret { name }
        }
    };
    serde_json::to_value(stored).map_err(|error| error.to_string())
}

/// The masked value sent back by a client that read it: keep the literal stored there.
fn keep_literal(kept: Option<&Value>) -> Result<Value, String> {
    let stored = kept.and_then(|value| serde_json::from_value(value.clone()).ok());
    match stored {
        Some(literal @ StoredCredential::Literal { .. }) => {
            serde_json::to_value(literal).map_err(|error| error.to_string())
        }
        _ => Err(format!(
            "`{MASK}` keeps the literal stored at this setting, and none is stored; give the \
             value"
        )),
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_');
    starts_well && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The settings as reads show them: literals masked, references as stored.
pub(crate) fn mask(settings: &Value, credentials: &[&str]) -> Value {
    let Some(object) = settings.as_object() else {
        return settings.clone();
    };
    let masked = object
        .iter()
        .map(|(name, value)| {
            let is_literal = credentials.contains(&name.as_str())
                && value.get("type").and_then(Value::as_str) == Some("literal");
            let shown = if is_literal {
                serde_json::json!({"type": "literal", "value": MASK})
            } else {
                value.clone()
            };
            (name.clone(), shown)
        })
        .collect();
    Value::Object(masked)
}

/// Where credentials get their values when a configuration is assembled.
pub(crate) trait Resolve {
    /// The value of a sealed literal bound to `context`.
    fn literal(&self, sealed: &Sealed, context: &str) -> Result<String, String>;
    /// The value of an environment variable.
    fn environment(&self, name: &str) -> Result<String, String>;
    /// The value of the secret named `name`.
    fn secret(&self, name: &str) -> Result<String, String>;
}

/// Replaces each credential in `settings` by its value, and reports at `path` each that
/// cannot be resolved; that setting is left out.
pub(crate) fn resolve(
    settings: &Map<String, Value>,
    credentials: &[&str],
    owner: &str,
    resolver: &dyn Resolve,
    faults: &mut Vec<(String, String)>,
) -> Map<String, Value> {
    let mut resolved = Map::new();
    for (name, value) in settings {
        if !credentials.contains(&name.as_str()) {
            resolved.insert(name.clone(), value.clone());
            continue;
        }
        match resolve_one(value, &context(owner, name), resolver) {
            Ok(text) => {
                resolved.insert(name.clone(), Value::String(text));
            }
            Err(message) => faults.push((name.clone(), message)),
        }
    }
    resolved
}

fn resolve_one(value: &Value, context: &str, resolver: &dyn Resolve) -> Result<String, String> {
    let stored: StoredCredential = serde_json::from_value(value.clone())
        .map_err(|_| "not a stored secret object; write it again through the API".to_owned())?;
    match &stored {
        StoredCredential::Literal { .. } => {
            let sealed = stored
                .to_sealed()
                .ok_or_else(|| CipherError::Tampered.to_string())?;
            resolver.literal(&sealed, context)
        }
        StoredCredential::Environment { variable_name } => resolver.environment(variable_name),
        StoredCredential::Secret { name } => resolver.secret(name),
    }
}

/// The sealed literals of `settings`, by setting name, for re-sealing after a rotation.
pub(crate) fn sealed_literals(settings: &Value, credentials: &[&str]) -> Vec<(String, Sealed)> {
    let Some(object) = settings.as_object() else {
        return Vec::new();
    };
    object
        .iter()
        .filter(|(name, _)| credentials.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            let stored: StoredCredential = serde_json::from_value(value.clone()).ok()?;
            Some((name.clone(), stored.to_sealed()?))
        })
        .collect()
}

/// The stored form of a literal sealed anew.
pub(crate) fn stored_literal(sealed: Sealed) -> Value {
    serde_json::to_value(StoredCredential::sealed(sealed))
        .expect("a stored credential is plain strings, which always serialize")
}

#[cfg(test)]
mod tests;
