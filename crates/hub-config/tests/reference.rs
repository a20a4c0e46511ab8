//! Keeps the reference in `docs/` and the README in step with the repository: every relative
//! link resolves to a file or folder that exists (and, into a Markdown page, to a heading it
//! has), and every provider page names each setting its provider type accepts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hub_core::config::ProviderType;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// `README.md` and every Markdown file under `docs/`.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut folders = vec![root().join("docs")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("docs/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|extension| extension == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

/// The page's text outside fenced code blocks and inline code, where `[a](b)` is no link.
fn prose(page: &str) -> String {
    let mut prose = String::new();
    let mut fenced = false;
    for line in page.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            let outside_code = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
            prose.push_str(&outside_code);
            prose.push('\n');
        }
    }
    prose
}

/// The targets of inline links and images (`[text](target)`) and of reference definitions
/// (`[name]: target`).
fn link_targets(page: &str) -> Vec<String> {
    let prose = prose(page);
    let mut targets = Vec::new();
    for (start, _) in prose.match_indices("](") {
        let rest = &prose[start + 2..];
        if let Some(end) = rest.find(')') {
            targets.push(rest[..end].trim().to_owned());
        }
    }
    for line in prose.lines() {
        let definition = line
            .trim_start()
            .strip_prefix('[')
            .and_then(|rest| rest.split_once("]: "));
        if let Some((_, target)) = definition {
            targets.push(target.trim().to_owned());
        }
    }
    targets
}

/// The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as
/// hyphens, and `-1`, `-2`, ... after a repeated one.
fn anchors(page: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    let mut fenced = false;
    for line in page.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        let Some(heading) = line.strip_prefix('#').filter(|_| !fenced) else {
            continue;
        };
        let slug: String = heading
            .trim_start_matches('#')
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut unique = slug.clone();
        let mut repeat = 0;
        while anchors.contains(&unique) {
            repeat += 1;
            unique = format!("{slug}-{repeat}");
        }
        anchors.insert(unique);
    }
    anchors
}

/// What is wrong with one link of `page`, if anything.
fn check_link(page: &Path, target: &str) -> Option<String> {
    let external = ["http://", "https://", "mailto:"];
    if external.iter().any(|scheme| target.starts_with(scheme)) {
        return None;
    }

    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (target, None),
    };
    let resolved = if path.is_empty() {
        page.to_path_buf()
    } else {
        page.parent().expect("a page is in a folder").join(path)
    };
    if !resolved.exists() {
        return Some(format!("{target}: {} does not exist", resolved.display()));
    }

    let into_markdown = resolved
        .extension()
        .is_some_and(|extension| extension == "md");
    match anchor {
        Some(anchor) if into_markdown && !anchors(&read(&resolved)).contains(anchor) => {
            Some(format!("{target}: no heading with the anchor #{anchor}"))
        }
        _ => None,
    }
}

#[test]
fn every_relative_link_resolves() {
    let pages = pages();
    assert!(pages.len() > 10, "found only {pages:?}");

    let mut broken = Vec::new();
    for page in &pages {
        for target in link_targets(&read(page)) {
            if let Some(fault) = check_link(page, &target) {
                let page = page.strip_prefix(root()).unwrap_or(page);
                broken.push(format!("{}: {fault}", page.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_provider_type_has_a_page_naming_its_settings() {
    use ProviderType::*;
    for provider_type in [OpenAi, Anthropic, Azure, Bedrock, VertexAi] {
        // No wildcard arm: a new provider type fails to compile here until it has a page.
        match provider_type {
            OpenAi | Anthropic | Azure | Bedrock | VertexAi => {}
        }

        let name = provider_type.as_str();
        let page = read(&root().join(format!("docs/providers/{name}.md")));
        let common = ["api_key", "base_url"];
        let settings = common
            .iter()
            .chain(provider_type.known_params())
            .chain(provider_type.known_model_params());
        for setting in settings {
            assert!(
                page.contains(&format!("`{setting}`")),
                "docs/providers/{name}.md does not name the setting `{setting}`"
            );
        }
    }
}

#[test]
fn links_are_found_outside_code_only() {
    let page = "See [a](a.md) and [b][b].\n`[c](c.md)`\n```\n[d](d.md)\n```\n[b]: b.md#x\n";
    assert_eq!(link_targets(page), ["a.md", "b.md#x"]);
}

#[test]
fn anchors_follow_githubs_rules() {
    let page =
        "# Title\n## Health, metrics and shutdown\n#### `openai`\n## Title\n```\n# no\n```\n";
    let expected = ["health-metrics-and-shutdown", "openai", "title", "title-1"];
    assert_eq!(anchors(page).into_iter().collect::<Vec<_>>(), expected);
}
