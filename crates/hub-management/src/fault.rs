//! What is wrong with a configuration in database mode, named the way the management API
//! names things: a resource, and a field of it (`config.base_url`,
//! `plugins[1].config_data.models[0]`).

use std::fmt;

use uuid::Uuid;

/// A kind of resource the management API serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    Provider,
    ModelDefinition,
    Pipeline,
    Secret,
    ApiKey,
}

impl ResourceKind {
    /// The last segment of the collection's path: `/api/v1/management/{collection}`.
    pub fn collection(self) -> &'static str {
        match self {
            ResourceKind::Provider => "providers",
            ResourceKind::ModelDefinition => "model-definitions",
            ResourceKind::Pipeline => "pipelines",
            ResourceKind::Secret => "secrets",
            ResourceKind::ApiKey => "api-keys",
        }
    }

    /// How messages name one of them.
    pub fn singular(self) -> &'static str {
        match self {
            ResourceKind::Provider => "provider",
            ResourceKind::ModelDefinition => "model definition",
            ResourceKind::Pipeline => "pipeline",
            ResourceKind::Secret => "secret",
            ResourceKind::ApiKey => "API key",
        }
    }
}

/// One resource, by id and by the name or key it is known by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRef {
    pub kind: ResourceKind,
    pub id: Uuid,
    pub name: String,
}

impl ResourceRef {
    /// Whether this is the resource of `kind` and `id`.
    pub fn is(&self, kind: ResourceKind, id: Uuid) -> bool {
        self.kind == kind && self.id == id
    }
}

/// One thing wrong, at a field of a resource. Without a resource, the fault is in the
/// process's own settings, such as `TRACE_CONTENT_ENABLED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub resource: Option<ResourceRef>,
    /// Empty when the fault concerns the resource as a whole.
    pub field: String,
    pub message: String,
}

impl Fault {
    pub(crate) fn new(
        resource: Option<ResourceRef>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Fault {
        Fault {
            resource,
            field: field.into(),
            message: redact_strings(&message.into()),
        }
    }

    /// A fault at `field` of the resource being written.
    pub(crate) fn field(field: impl Into<String>, message: impl Into<String>) -> Fault {
        Fault::new(None, field, message)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(resource) = &self.resource {
            write!(f, "{} {:?} ", resource.kind.singular(), resource.name)?;
        }
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// Leaves out the text of a string that serde or figment quote in a type error
/// (`invalid type: string "sk-...", expected u64`): a credential put in the wrong field
/// would otherwise come back in the error, and go into the logs.
pub(crate) fn redact_strings(message: &str) -> String {
    const MARK: &str = "string \"";
    let mut redacted = String::with_capacity(message.len());
    let mut rest = message;

    while let Some(start) = rest.find(MARK) {
        redacted.push_str(&rest[..start]);
        redacted.push_str("string");
        let quoted = &rest[start + MARK.len()..];
        rest = match closing_quote(quoted) {
            Some(end) => &quoted[end + 1..],
            None => "",
        };
    }
    redacted.push_str(rest);
    redacted
}

/// The index of the first `"` not escaped by a backslash.
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (index, character) in text.char_indices() {
        match character {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(index),
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_quoted_strings_of_type_errors() {
        assert_eq!(
            redact_strings(r#"invalid type: string "sk-123", expected u64"#),
            "invalid type: string, expected u64"
        );
        assert_eq!(
            redact_strings(r#"invalid type: found string "a \"b\" c", expected a boolean"#),
            "invalid type: found string, expected a boolean"
        );
        assert_eq!(
            redact_strings(r#"string "x" and string "y""#),
            "string and string"
        );
        assert_eq!(redact_strings(r#"string "unterminated"#), "string");
        assert_eq!(redact_strings("unknown field `x`"), "unknown field `x`");
    }

    #[test]
    fn displays_the_resource_and_field() {
        let resource = ResourceRef {
            kind: ResourceKind::ModelDefinition,
            id: Uuid::nil(),
            name: "gpt-4o".to_owned(),
        };
        let fault = Fault::new(Some(resource), "provider_id", "no provider");
        assert_eq!(
            fault.to_string(),
            r#"model definition "gpt-4o" provider_id: no provider"#
        );
        assert_eq!(Fault::field("name", "taken").to_string(), "name: taken");
        assert_eq!(Fault::field("", "whole").to_string(), "whole");
    }
}
