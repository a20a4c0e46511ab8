//! Tests of dist's parts that need no release build: arguments, what cargo reports, the plan
//! of what a release holds, and the archive itself read back.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::read::GzDecoder;

use super::pack::{Contents, pack};
use super::workspace::Workspace;
use super::{Include, Plan, targets};

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

#[test]
fn targets_are_read_in_both_spellings() {
    let args = strings(&[
        "--target",
        "x86_64-unknown-linux-gnu",
        "--target=aarch64-unknown-linux-gnu",
    ]);
    assert_eq!(
        targets(&args).unwrap(),
        ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]
    );
    assert!(targets(&[]).unwrap().is_empty());
}

#[test]
fn a_bad_argument_is_refused() {
    let error = targets(&strings(&["--release"])).unwrap_err().to_string();
    assert!(error.contains("unknown argument `--release`"), "{error}");
    let error = targets(&strings(&["--target"])).unwrap_err().to_string();
    assert!(error.contains("--target needs a target triple"), "{error}");
}

/// Trimmed from `cargo metadata --no-deps --format-version 1` in this workspace.
const METADATA: &str = r#"{
  "packages": [
    {"name": "hub-core", "version": "0.1.0", "targets": [{"name": "hub_core", "kind": ["lib"]}]},
    {"name": "hub-gateway", "version": "0.1.0", "targets": [
      {"name": "hub-gateway", "kind": ["bin"]},
      {"name": "process", "kind": ["test"]}
    ]},
    {"name": "hub-testkit", "version": "0.1.0", "targets": [
      {"name": "hub_testkit", "kind": ["lib"]},
      {"name": "hub-mock", "kind": ["bin"]}
    ]}
  ],
  "workspace_root": "/src/hub",
  "target_directory": "/src/hub/target",
  "version": 1
}"#;

#[test]
fn metadata_names_the_version_and_the_binaries() {
    let workspace = Workspace::from_metadata(METADATA.as_bytes()).unwrap();
    assert_eq!(workspace.version, "0.1.0");
    assert_eq!(workspace.root, Path::new("/src/hub"));
    assert_eq!(workspace.target_dir, Path::new("/src/hub/target"));
    let binaries: Vec<&str> = workspace.binaries.iter().map(String::as_str).collect();
    assert_eq!(binaries, ["hub-gateway", "hub-mock"]);
}

#[test]
fn executables_come_from_cargos_artifact_messages() {
    let lines = [
        r#"{"reason":"compiler-artifact","target":{"name":"hub_core","kind":["lib"]},"executable":null}"#,
        r#"{"reason":"compiler-artifact","target":{"name":"hub-gateway","kind":["bin"]},"executable":"/t/x86_64-unknown-linux-gnu/release/hub-gateway"}"#,
        r#"{"reason":"build-finished","success":true}"#,
    ];
    let found = super::build::executables(lines.into_iter()).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found["hub-gateway"],
        Path::new("/t/x86_64-unknown-linux-gnu/release/hub-gateway")
    );
}

fn workspace_at(root: &Path, binaries: &[&str]) -> Workspace {
    Workspace {
        root: root.to_owned(),
        target_dir: root.join("target"),
        version: "0.1.0".to_owned(),
        binaries: binaries
            .iter()
            .map(|name| (*name).to_owned())
            .collect::<BTreeSet<_>>(),
    }
}

#[test]
fn a_missing_required_binary_fails_the_release_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = workspace_at(dir.path(), &["hub-mock"]);
    let error = Plan::new(&workspace, &["hub-gateway"], &[])
        .unwrap_err()
        .to_string();
    assert!(error.contains("binary hub-gateway"), "{error}");
}

#[test]
fn a_missing_required_file_fails_the_release_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = workspace_at(dir.path(), &[]);
    let error = Plan::new(&workspace, &[], &[Include::new("LICENSE", "LICENSE")])
        .unwrap_err()
        .to_string();
    assert!(error.contains("LICENSE (not in the repository)"), "{error}");
}

#[test]
fn every_missing_part_is_named_at_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "readme").unwrap();
    let workspace = workspace_at(dir.path(), &["hub-gateway"]);
    let includes = [
        Include::new("README.md", "README.md"),
        Include::new("migrations", "migrations"),
    ];

    let error = Plan::new(&workspace, &["hub-gateway", "hub-admin"], &includes)
        .unwrap_err()
        .to_string();

    assert!(
        error.contains("binary hub-admin (no such binary in the workspace)"),
        "{error}"
    );
    assert!(
        error.contains("migrations (not in the repository)"),
        "{error}"
    );
    assert!(!error.contains("README.md"), "{error}");
}

/// A repository-like tree, and the contents a release of it would hold.
fn sample(root: &Path) -> Contents {
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("README.md", "# Hub\n");
    write("docs/operations.md", "ops\n");
    write("docs/providers/openai.md", "openai\n");
    write("migrations/0001_init/up.sql", "create table t ();\n");
    write("build/hub-gateway", "\x7fELF gateway");

    Contents {
        binaries: vec![("hub-gateway".to_owned(), root.join("build/hub-gateway"))],
        files: vec![
            (root.join("README.md"), "README.md".to_owned()),
            (root.join("docs"), "docs".to_owned()),
            (root.join("migrations"), "migrations".to_owned()),
        ],
    }
}

/// Each entry of a `.tar.gz` as (path, mode, mtime, uid, contents).
fn entries(archive: &Path) -> Vec<(String, u32, u64, u64, String)> {
    let file = std::fs::File::open(archive).unwrap();
    let mut tar = tar::Archive::new(GzDecoder::new(file));
    tar.entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let header = entry.header().clone();
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            (
                entry.path().unwrap().to_string_lossy().into_owned(),
                header.mode().unwrap(),
                header.mtime().unwrap(),
                header.uid().unwrap(),
                text,
            )
        })
        .collect()
}

#[test]
fn the_archive_holds_one_folder_with_binaries_docs_and_migrations() {
    let source = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let archive = pack(
        &sample(source.path()),
        out.path(),
        "hub-0.1.0-x",
        1_700_000_000,
    )
    .unwrap();

    assert_eq!(archive.path, out.path().join("hub-0.1.0-x.tar.gz"));
    let found = entries(&archive.path);
    let paths: Vec<&str> = found.iter().map(|entry| entry.0.as_str()).collect();
    assert_eq!(
        paths,
        [
            "hub-0.1.0-x/",
            "hub-0.1.0-x/bin/",
            "hub-0.1.0-x/bin/hub-gateway",
            "hub-0.1.0-x/README.md",
            "hub-0.1.0-x/docs/",
            "hub-0.1.0-x/docs/operations.md",
            "hub-0.1.0-x/docs/providers/",
            "hub-0.1.0-x/docs/providers/openai.md",
            "hub-0.1.0-x/migrations/",
            "hub-0.1.0-x/migrations/0001_init/",
            "hub-0.1.0-x/migrations/0001_init/up.sql",
        ]
    );

    let by_path = |path: &str| found.iter().find(|entry| entry.0 == path).unwrap();
    assert_eq!(by_path("hub-0.1.0-x/bin/hub-gateway").1, 0o755);
    assert_eq!(by_path("hub-0.1.0-x/bin/hub-gateway").4, "\x7fELF gateway");
    assert_eq!(by_path("hub-0.1.0-x/migrations/0001_init/up.sql").1, 0o644);
    assert_eq!(by_path("hub-0.1.0-x/docs/").1, 0o755);
    assert!(
        found
            .iter()
            .all(|entry| entry.2 == 1_700_000_000 && entry.3 == 0)
    );
}

#[test]
fn the_checksum_file_verifies_with_sha256sum() {
    let source = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let archive = pack(&sample(source.path()), out.path(), "hub-0.1.0-x", 0).unwrap();

    let line = std::fs::read_to_string(&archive.checksum_path).unwrap();
    assert_eq!(line, format!("{}  hub-0.1.0-x.tar.gz\n", archive.sha256));
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", "hub-0.1.0-x.tar.gz.sha256"])
        .current_dir(out.path())
        .output()
        .expect("sha256sum (coreutils) runs");
    assert!(check.status.success(), "{check:?}");

    std::fs::write(&archive.path, b"tampered").unwrap();
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", "hub-0.1.0-x.tar.gz.sha256"])
        .current_dir(out.path())
        .output()
        .unwrap();
    assert!(
        !check.status.success(),
        "a changed archive fails its checksum"
    );
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let source = tempfile::tempdir().unwrap();
    let contents = sample(source.path());
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    let a = pack(&contents, first.path(), "hub", 42).unwrap();
    let b = pack(&contents, second.path(), "hub", 42).unwrap();
    assert_eq!(
        std::fs::read(&a.path).unwrap(),
        std::fs::read(&b.path).unwrap()
    );
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(a.size, std::fs::metadata(&a.path).unwrap().len());
}

#[test]
fn no_partial_file_is_left_behind() {
    let source = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    pack(&sample(source.path()), out.path(), "hub", 0).unwrap();
    let mut names: Vec<PathBuf> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|entry| PathBuf::from(entry.unwrap().file_name()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            PathBuf::from("hub.tar.gz"),
            PathBuf::from("hub.tar.gz.sha256")
        ]
    );
}

#[test]
fn this_workspace_has_everything_a_release_requires() {
    let workspace = Workspace::load().unwrap();
    let plan = Plan::new(&workspace, super::BINARIES, super::INCLUDES).unwrap();
    assert!(plan.binaries.contains(&"hub-gateway"), "{plan:?}");
    assert!(workspace.root.join("deploy/config.example.yaml").is_file());
}
