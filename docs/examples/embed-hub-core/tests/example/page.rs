//! `docs/embedding.md` quotes this crate's code; each Rust block there must appear, exactly,
//! in one of the crate's source files, so the page cannot drift from code that compiles and
//! is tested.

use std::path::PathBuf;

use crate::read;

/// The Rust code blocks of a Markdown page, without their fences.
fn rust_blocks(page: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in page.lines() {
        match current.as_mut() {
            None if line.trim_end() == "```rust" => current = Some(String::new()),
            None => {}
            Some(block) if line.trim_end() == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(current.is_none(), "a ```rust block is never closed");
    blocks
}

fn sources() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("src/ is readable")
        .map(|entry| {
            let name = entry.expect("a directory entry").file_name();
            let name = name.to_string_lossy().into_owned();
            let text = read(&format!("src/{name}"));
            (name, text)
        })
        .collect();
    sources.sort();
    sources
}

#[test]
fn every_rust_block_of_the_page_is_in_the_example_sources() {
    let page = read("../../embedding.md");
    let blocks = rust_blocks(&page);
    assert!(blocks.len() >= 4, "the page quotes the example: {blocks:?}");

    let sources = sources();
    for block in blocks {
        let found = sources.iter().any(|(_, text)| text.contains(&block));
        assert!(
            found,
            "docs/embedding.md quotes code that is in no file of \
             docs/examples/embed-hub-core/src; copy it from there:\n{block}"
        );
    }
}

#[test]
fn blocks_are_read_without_their_fences() {
    let page = "text\n```rust\nfn a() {}\n```\n```toml\nx = 1\n```\n";
    assert_eq!(rust_blocks(page), ["fn a() {}\n"]);
}
