//! `cargo xtask dist`: Hub's release archives, one per target, under `target/dist/`.
//!
//! Builds the release binaries with the release profile (fat LTO, one codegen unit, stripped),
//! packs them with the README, the license, the example configuration, the docs and the
//! database migrations into `hub-VERSION-TARGET.tar.gz`, writes its SHA-256 beside it, and
//! says what it made, how large each binary is, and what it did not find.

mod build;
mod pack;
mod workspace;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::say;
use pack::{Archive, Contents};
use workspace::Workspace;

/// A binary a release carries.
/// The binaries, each a workspace package with a binary target of the same name.
const BINARIES: &[&str] = &["hub-gateway", "hub-admin"];

/// A file or folder of the repository a release carries, and its path inside the archive.
#[derive(Debug, Clone, Copy)]
struct Include {
    source: &'static str,
    inside: &'static str,
}

impl Include {
    const fn new(source: &'static str, inside: &'static str) -> Include {
        Include { source, inside }
    }
}

/// The files and folders a release carries beside its binaries.
const INCLUDES: &[Include] = &[
    Include::new("README.md", "README.md"),
    Include::new("LICENSE", "LICENSE"),
    Include::new("deploy/config.example.yaml", "config.example.yaml"),
    Include::new("docs", "docs"),
    Include::new("migrations", "migrations"),
];

/// Builds and packs a release for each `--target` given, or for the host.
pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let requested = targets(args)?;
    let workspace = Workspace::load()?;
    let plan = Plan::new(&workspace, BINARIES, INCLUDES)?;
    let targets = if requested.is_empty() {
        vec![workspace::host_target()?]
    } else {
        requested
    };
    let mtime = timestamp(&workspace.root)?;
    let out_dir = workspace.target_dir.join("dist");

    for target in &targets {
        let built = build::release(&plan.binaries, target)?;
        let contents = plan.contents(&workspace.root, built);
        let stem = format!("hub-{}-{target}", workspace.version);
        let archive = pack::pack(&contents, &out_dir, &stem, mtime)?;
        report(target, &contents, &archive)?;
    }
    Ok(())
}

/// The values of each `--target TRIPLE` (or `--target=TRIPLE`).
fn targets(args: &[String]) -> anyhow::Result<Vec<String>> {
    let mut targets = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let target = match arg.strip_prefix("--target") {
            Some("") => args.next().context("--target needs a target triple")?,
            Some(value) if value.starts_with('=') => &value[1..],
            _ => bail!("unknown argument `{arg}`; dist takes `--target TRIPLE`, repeatable"),
        };
        targets.push(target.to_owned());
    }
    Ok(targets)
}

/// What this workspace's release will hold.
#[derive(Debug)]
struct Plan {
    binaries: Vec<&'static str>,
    includes: Vec<Include>,
}

impl Plan {
    /// Fails naming every required part the workspace lacks.
    fn new(
        workspace: &Workspace,
        binaries: &[&'static str],
        includes: &[Include],
    ) -> anyhow::Result<Plan> {
        let missing_binaries = binaries
            .iter()
            .filter(|binary| !workspace.binaries.contains(**binary))
            .map(|binary| format!("binary {binary} (no such binary in the workspace)"));
        let missing_files = includes
            .iter()
            .filter(|include| !workspace.root.join(include.source).exists())
            .map(|include| format!("{} (not in the repository)", include.source));
        let missing: Vec<String> = missing_binaries.chain(missing_files).collect();

        if !missing.is_empty() {
            bail!("a release needs what is missing: {}", missing.join("; "));
        }
        Ok(Plan {
            binaries: binaries.to_vec(),
            includes: includes.to_vec(),
        })
    }

    fn contents(
        &self,
        root: &Path,
        built: std::collections::BTreeMap<String, PathBuf>,
    ) -> Contents {
        Contents {
            binaries: built.into_iter().collect(),
            files: self
                .includes
                .iter()
                .map(|include| (root.join(include.source), include.inside.to_owned()))
                .collect(),
        }
    }
}

/// The time stamped on every entry: `SOURCE_DATE_EPOCH` when set (the reproducible-builds
/// convention), else the time of the commit being packed, else now.
fn timestamp(root: &Path) -> anyhow::Result<u64> {
    if let Ok(value) = std::env::var("SOURCE_DATE_EPOCH") {
        return value
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH must be seconds, not `{value}`"));
    }
    let commit = Command::new("git")
        .args(["log", "-1", "--format=%ct"])
        .current_dir(root)
        .output();
    if let Ok(output) = commit
        && output.status.success()
        && let Ok(seconds) = String::from_utf8_lossy(&output.stdout).trim().parse()
    {
        return Ok(seconds);
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    Ok(now.as_secs())
}

/// Says what was made, how large each binary is, and what was not found.
fn report(target: &str, contents: &Contents, archive: &Archive) -> anyhow::Result<()> {
    let mut lines = vec![format!("xtask dist: {target}")];
    for (name, path) in &contents.binaries {
        let size = std::fs::metadata(path)?.len();
        lines.push(format!("  bin/{name:<16} {}", human_size(size)));
    }
    for (_, inside) in &contents.files {
        lines.push(format!("  {inside}"));
    }
    lines.push(format!(
        "  made {} ({})",
        archive.path.display(),
        human_size(archive.size)
    ));
    lines.push(format!(
        "  sha256 {} in {}",
        archive.sha256,
        archive.checksum_path.display()
    ));
    say(&lines.join("\n"));
    Ok(())
}

/// Bytes as MiB with one decimal, and the exact count.
fn human_size(bytes: u64) -> String {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    format!("{mib:.1} MiB ({bytes} bytes)")
}

/// The cargo that runs xtask, so a release builds with the same toolchain.
fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}
