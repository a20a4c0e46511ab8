//! What `cargo metadata` and `rustc` say about the workspace: its version, where it builds,
//! which binaries it has, and the host's target triple.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};
use serde::Deserialize;

/// The package whose version names the release: every crate shares the workspace's version.
const VERSION_PACKAGE: &str = "hub-gateway";

/// The workspace as the release sees it.
#[derive(Debug)]
pub(crate) struct Workspace {
    pub(crate) root: PathBuf,
    pub(crate) target_dir: PathBuf,
    pub(crate) version: String,
    /// The names of every binary target of the workspace's packages.
    pub(crate) binaries: BTreeSet<String>,
}

#[derive(Deserialize)]
struct Metadata {
    workspace_root: PathBuf,
    target_directory: PathBuf,
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

impl Workspace {
    /// Asks cargo about the workspace it runs in.
    pub(crate) fn load() -> anyhow::Result<Workspace> {
        let output = Command::new(super::cargo_program())
            .args(["metadata", "--no-deps", "--format-version", "1", "--locked"])
            .output()
            .context("cannot run cargo metadata")?;
        if !output.status.success() {
            bail!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Workspace::from_metadata(&output.stdout)
    }

    /// Reads the JSON `cargo metadata --format-version 1` prints.
    pub(crate) fn from_metadata(json: &[u8]) -> anyhow::Result<Workspace> {
        let metadata: Metadata =
            serde_json::from_slice(json).context("cargo metadata printed unexpected JSON")?;

        let version = metadata
            .packages
            .iter()
            .find(|package| package.name == VERSION_PACKAGE)
            .map(|package| package.version.clone())
            .with_context(|| format!("the workspace has no package `{VERSION_PACKAGE}`"))?;
        let binaries = metadata
            .packages
            .iter()
            .flat_map(|package| &package.targets)
            .filter(|target| target.kind.iter().any(|kind| kind == "bin"))
            .map(|target| target.name.clone())
            .collect();

        Ok(Workspace {
            root: metadata.workspace_root,
            target_dir: metadata.target_directory,
            version,
            binaries,
        })
    }
}

/// The triple of the machine xtask runs on, which is what a release is built for by default.
pub(crate) fn host_target() -> anyhow::Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(&rustc)
        .arg("-vV")
        .output()
        .with_context(|| format!("cannot run {rustc} -vV"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|host| host.trim().to_owned())
        .with_context(|| format!("{rustc} -vV names no host triple"))
}
