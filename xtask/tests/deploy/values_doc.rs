//! deploy/helm/hub/values.yaml is documented field by field: every value a template reads has a
//! comment right above it, every value it declares is read by some template, and no template
//! reads a value it does not declare (a misspelling would silently read nothing).

use std::collections::{BTreeMap, BTreeSet};

use crate::tools::repo;

/// A key of values.yaml: its dotted path and whether a comment line stands right above it.
fn declared_values() -> BTreeMap<String, bool> {
    let text = std::fs::read_to_string(repo().join("deploy/helm/hub/values.yaml"))
        .expect("values.yaml is readable");
    let mut declared = BTreeMap::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut block_indent: Option<usize> = None;
    let mut previous = "";

    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        // Inside a block scalar (`key: |`) lines are text, not keys.
        if let Some(block) = block_indent {
            if trimmed.is_empty() || indent > block {
                continue;
            }
            block_indent = None;
        }
        let key = trimmed
            .split_once(':')
            .map(|(key, _)| key)
            .filter(|key| !trimmed.starts_with('#') && !trimmed.starts_with('-') && is_key(key));
        if let Some(key) = key {
            path.retain(|(depth, _)| *depth < indent);
            path.push((indent, key.to_owned()));
            let dotted: Vec<&str> = path.iter().map(|(_, key)| key.as_str()).collect();
            declared.insert(dotted.join("."), previous.trim_start().starts_with('#'));
            if trimmed.ends_with('|') || trimmed.ends_with('>') {
                block_indent = Some(indent);
            }
        }
        if !trimmed.is_empty() {
            previous = line;
        }
    }
    declared
}

fn is_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every `.Values.a.b` path the templates read, with `$name := .Values.a` aliases resolved.
fn read_values() -> BTreeSet<String> {
    let mut read = BTreeSet::new();
    let templates = repo().join("deploy/helm/hub/templates");
    for entry in std::fs::read_dir(templates).expect("templates/ is readable") {
        let text = std::fs::read_to_string(entry.expect("a template entry").path())
            .expect("the template is readable");
        let mut aliases = BTreeMap::new();
        for (name, path) in assignments(&text) {
            aliases.insert(name, path);
        }
        read.extend(paths_after(&text, ".Values."));
        for (name, path) in &aliases {
            for rest in paths_after(&text, &format!("${name}.")) {
                read.insert(format!("{path}.{rest}"));
            }
            read.insert(path.clone());
        }
    }
    read
}

/// `(name, path)` of each `$name := .Values.path`.
fn assignments(text: &str) -> Vec<(String, String)> {
    text.match_indices(":= .Values.")
        .filter_map(|(at, marker)| {
            let before = text[..at].trim_end();
            let name_start = before.rfind('$')?;
            let name = before[name_start + 1..].to_owned();
            let path = path_at(&text[at + marker.len()..]);
            Some((name, path))
        })
        .collect()
}

fn paths_after(text: &str, prefix: &str) -> Vec<String> {
    text.match_indices(prefix)
        .map(|(at, _)| path_at(&text[at + prefix.len()..]))
        .filter(|path| !path.is_empty())
        .collect()
}

fn path_at(text: &str) -> String {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    text[..end].trim_end_matches('.').to_owned()
}

fn related(a: &str, b: &str) -> bool {
    a == b || a.starts_with(&format!("{b}.")) || b.starts_with(&format!("{a}."))
}

#[test]
fn every_value_a_template_reads_is_declared_and_documented() {
    let declared = declared_values();
    let read = read_values();
    assert!(read.contains("gateway.port") && read.contains("gateway.autoscaling.minReplicas"));

    let undeclared: Vec<&String> = read
        .iter()
        .filter(|path| !declared.contains_key(*path))
        .collect();
    assert!(
        undeclared.is_empty(),
        "templates read values.yaml lacks: {undeclared:?}"
    );

    let undocumented: Vec<&String> = read.iter().filter(|path| !declared[*path]).collect();
    assert!(
        undocumented.is_empty(),
        "values without a comment above them: {undocumented:?}"
    );
}

#[test]
fn every_declared_value_is_read_by_a_template() {
    let read = read_values();
    let unread: Vec<String> = declared_values()
        .into_keys()
        .filter(|path| !read.iter().any(|used| related(path, used)))
        .collect();
    assert!(
        unread.is_empty(),
        "values.yaml declares what no template reads: {unread:?}"
    );
}

#[test]
fn the_scanner_sees_nested_keys_and_skips_block_text() {
    let declared = declared_values();
    assert_eq!(
        declared.get("gateway.podDisruptionBudget.maxUnavailable"),
        Some(&true)
    );
    assert!(declared.contains_key("config.inline"));
    assert!(
        !declared
            .keys()
            .any(|path| path.starts_with("config.inline."))
    );
    assert!(
        !declared.contains_key("general"),
        "keys of the inline config are text"
    );
}
