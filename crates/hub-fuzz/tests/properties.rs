//! Every fuzz target as a property test: each input of its corpus, then inputs made by
//! mutating those (flipping, inserting and removing bytes, splicing two of them) and plain
//! random bytes. `cargo xtask fuzz` explores the same targets far longer, guided by
//! coverage; this keeps every change checked against them in the ordinary test run.

use std::path::{Path, PathBuf};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Cases per target: the suite of all targets takes seconds, not minutes.
const CASES: u32 = 512;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let entries = std::fs::read_dir(corpus_dir(target))
        .unwrap_or_else(|error| panic!("corpus/{target}: {error}"));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable corpus folder").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| std::fs::read(file).expect("a readable corpus file"))
        .collect()
}

/// An edit of a corpus input: at a position taken modulo its length.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize, usize),
    Splice(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Flip(at, byte)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Insert(at, byte)),
        (any::<usize>(), 1..16usize).prop_map(|(at, count)| Edit::Remove(at, count)),
        (any::<usize>(), any::<usize>()).prop_map(|(at, other)| Edit::Splice(at, other)),
    ]
}

fn apply(mut input: Vec<u8>, edits: &[Edit], corpus: &[Vec<u8>]) -> Vec<u8> {
    for edit in edits {
        let at = |position: usize| position % (input.len() + 1);
        match *edit {
            Edit::Flip(position, byte) if !input.is_empty() => {
                let position = position % input.len();
                input[position] ^= byte;
            }
            Edit::Flip(..) => {}
            Edit::Insert(position, byte) => input.insert(at(position), byte),
            Edit::Remove(position, count) => {
                let start = at(position);
                let end = (start + count).min(input.len());
                input.drain(start..end);
            }
            Edit::Splice(position, other) => {
                let donor = &corpus[other % corpus.len()];
                let start = at(position);
                let from = position % (donor.len() + 1);
                input.truncate(start);
                input.extend_from_slice(&donor[from..]);
            }
        }
    }
    input
}

fn inputs(corpus: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let count = corpus.len();
    let mutated = (0..count, vec(edit(), 1..6))
        .prop_map(move |(index, edits)| apply(corpus[index].clone(), &edits, &corpus));
    prop_oneof![4 => mutated, 1 => vec(any::<u8>(), 0..256)]
}

fn check(name: &str) {
    let target = hub_fuzz::find(name).expect("a target of that name");
    let corpus = corpus(name);
    assert!(!corpus.is_empty(), "corpus/{name} is empty");
    for input in &corpus {
        (target.run)(input);
    }

    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new(config)
        .run(&inputs(corpus), |input| {
            (target.run)(&input);
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{name}: {failure}"));
}

#[test]
fn every_target_has_a_corpus_and_every_corpus_a_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut folders: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut names: Vec<String> = hub_fuzz::TARGETS
        .iter()
        .map(|target| target.name.to_owned())
        .collect();
    names.sort();
    assert_eq!(folders, names);
}

macro_rules! properties {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*
    };
}

properties!(
    chat_request,
    completion_request,
    embeddings_request,
    sse,
    eventstream,
    openai_answer,
    openai_stream,
    azure_answer,
    azure_stream,
    anthropic_answer,
    anthropic_stream,
    vertexai_answer,
    vertexai_stream,
    bedrock_answer,
    bedrock_stream,
    config,
    management_request,
);
