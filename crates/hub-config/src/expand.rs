//! `${NAME}` references in string values, replaced from the environment.
//!
//! Expansion runs on the parsed value tree, never on the file's text: a value holding `: `,
//! a newline or `#` stays one string and cannot change the shape of the YAML. A replacement
//! is not scanned again, so a variable cannot smuggle in a further reference.
//!
//! The forms: `${NAME}` (a fault when `NAME` is unset), `${NAME:-default}` (the default when
//! `NAME` is unset or empty), and `$${` for a literal `${`. Any other `$` is kept as written.

use figment::value::{Dict, Value};

use crate::environment::Environment;
use crate::error::{Fault, field, index};

/// Replaces the references in every string of `tree`, and reports each one that cannot be
/// resolved at the path of its value.
pub(crate) fn expand_tree(tree: &mut Dict, env: &dyn Environment) -> Vec<Fault> {
    let mut faults = Vec::new();
    for (key, value) in tree.iter_mut() {
        expand_value(value, &field("", key), env, &mut faults);
    }
    faults
}

fn expand_value(value: &mut Value, path: &str, env: &dyn Environment, faults: &mut Vec<Fault>) {
    match value {
        Value::String(_, text) => match expand_str(text, env) {
            Ok(expanded) => *text = expanded,
            Err(messages) => {
                faults.extend(
                    messages
                        .into_iter()
                        .map(|message| Fault::new(path, message)),
                );
            }
        },
        Value::Dict(_, dict) => {
            for (key, child) in dict.iter_mut() {
                expand_value(child, &field(path, key), env, faults);
            }
        }
        Value::Array(_, items) => {
            for (position, child) in items.iter_mut().enumerate() {
                expand_value(child, &index(path, position), env, faults);
            }
        }
        Value::Char(..) | Value::Bool(..) | Value::Num(..) | Value::Empty(..) => {}
    }
}

/// Expands one string, or says what is wrong with each reference in it.
pub(crate) fn expand_str(text: &str, env: &dyn Environment) -> Result<String, Vec<String>> {
    let mut expanded = String::with_capacity(text.len());
    let mut problems = Vec::new();
    let mut rest = text;

    while let Some(dollar) = rest.find('$') {
        expanded.push_str(&rest[..dollar]);
        let tail = &rest[dollar..];

        if let Some(after) = tail.strip_prefix("$${") {
            expanded.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(close) = after.find('}') else {
                problems
                    .push("`${` without a closing `}`; write `$${` for a literal `${`".to_owned());
                rest = "";
                break;
            };
            match resolve(&after[..close], env) {
                Ok(value) => expanded.push_str(&value),
                Err(problem) => problems.push(problem),
            }
            rest = &after[close + 1..];
        } else {
            expanded.push('$');
            rest = &tail[1..];
        }
    }
    expanded.push_str(rest);

    if problems.is_empty() {
        Ok(expanded)
    } else {
        Err(problems)
    }
}

/// The value of one reference, the text between `${` and `}`.
fn resolve(reference: &str, env: &dyn Environment) -> Result<String, String> {
    let (name, default) = match reference.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (reference, None),
    };

    if !is_variable_name(name) {
        return Err(format!(
            "`${{{reference}}}` does not name an environment variable (letters, digits and \
             `_`, not starting with a digit); write `$${{` for a literal `${{`"
        ));
    }

    match (env.var(name), default) {
        (Some(value), Some(default)) if value.is_empty() => Ok(default.to_owned()),
        (Some(value), _) => Ok(value),
        (None, Some(default)) => Ok(default.to_owned()),
        (None, None) => Err(format!("environment variable {name} is not set")),
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_');
    starts_well && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn env() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("KEY".to_owned(), "sk-1".to_owned()),
            ("EMPTY".to_owned(), String::new()),
            ("REF".to_owned(), "${KEY}".to_owned()),
        ])
    }

    fn expand(text: &str) -> Result<String, Vec<String>> {
        expand_str(text, &env())
    }

    #[test]
    fn replaces_references_anywhere_in_a_string() {
        assert_eq!(expand("${KEY}").unwrap(), "sk-1");
        assert_eq!(expand("Bearer ${KEY}!").unwrap(), "Bearer sk-1!");
        assert_eq!(expand("${KEY}${KEY}").unwrap(), "sk-1sk-1");
        assert_eq!(expand("no references").unwrap(), "no references");
    }

    #[test]
    fn uses_the_default_when_unset_or_empty() {
        assert_eq!(expand("${MISSING:-fallback}").unwrap(), "fallback");
        assert_eq!(expand("${EMPTY:-fallback}").unwrap(), "fallback");
        assert_eq!(expand("${KEY:-fallback}").unwrap(), "sk-1");
        assert_eq!(expand("${MISSING:-}").unwrap(), "");
        assert_eq!(expand("${MISSING:-a:-b}").unwrap(), "a:-b");
    }

    #[test]
    fn an_empty_variable_without_default_is_empty() {
        assert_eq!(expand("[${EMPTY}]").unwrap(), "[]");
    }

    #[test]
    fn keeps_dollars_that_are_not_references() {
        assert_eq!(expand("pa$$word $5 $").unwrap(), "pa$$word $5 $");
        assert_eq!(expand("$${KEY}").unwrap(), "${KEY}");
        assert_eq!(expand("$$${KEY}").unwrap(), "$${KEY}");
    }

    #[test]
    fn does_not_expand_a_replacement_again() {
        assert_eq!(expand("${REF}").unwrap(), "${KEY}");
    }

    #[test]
    fn reports_every_unset_variable() {
        let problems = expand("${A}-${KEY}-${B}").unwrap_err();
        assert_eq!(
            problems,
            [
                "environment variable A is not set",
                "environment variable B is not set"
            ]
        );
    }

    #[test]
    fn reports_malformed_references() {
        let unclosed = expand("x ${KEY").unwrap_err();
        assert!(
            unclosed[0].contains("without a closing `}`"),
            "{unclosed:?}"
        );

        for text in ["${}", "${1A}", "${A B}", "${:-x}"] {
            let problems = expand(text).unwrap_err();
            assert!(
                problems[0].contains("does not name an environment variable"),
                "{text}: {problems:?}"
            );
        }
    }

    #[test]
    fn keeps_multibyte_text_around_references() {
        assert_eq!(expand("é${KEY}ü$").unwrap(), "ésk-1ü$");
    }
}
