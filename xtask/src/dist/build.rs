//! The release build: cargo with the release profile for one target, and where it put each
//! binary, read from its JSON messages rather than guessed from the target directory's layout.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde::Deserialize;

/// One line of `cargo build --message-format=json`; only finished artifacts matter here.
#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    target: Option<ArtifactTarget>,
    #[serde(default)]
    executable: Option<PathBuf>,
}

#[derive(Deserialize)]
struct ArtifactTarget {
    name: String,
}

/// Builds `binaries` for `target` with the release profile and `--locked`, so a release is
/// built from exactly the dependency versions the lock file names. Returns each binary's path.
///
/// The explicit `--target` also keeps these artifacts in `target/TRIPLE/release`, apart from
/// the plain `cargo build --release` that benchmarks and developers run.
pub(crate) fn release(
    binaries: &[&str],
    target: &str,
) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    let mut command = Command::new(super::cargo_program());
    crate::clear_xtask_package_env(&mut command);
    command.args(["build", "--release", "--locked", "--target", target]);
    command.arg("--message-format=json-render-diagnostics");
    for binary in binaries {
        command.args(["--package", binary, "--bin", binary]);
    }
    crate::say(&format!(
        "xtask: building {} for {target}",
        binaries.join(", ")
    ));

    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run cargo build")?;
    let stdout = child.stdout.take().context("cargo's stdout is piped")?;
    let lines: Vec<String> = BufReader::new(stdout).lines().collect::<Result<_, _>>()?;
    let status = child.wait()?;
    if !status.success() {
        bail!("the release build for {target} failed ({status})");
    }

    let built = executables(lines.iter().map(String::as_str))?;
    match binaries.iter().find(|binary| !built.contains_key(**binary)) {
        Some(missing) => bail!("cargo built no executable named {missing} for {target}"),
        None => Ok(built),
    }
}

/// The executables that cargo's JSON messages report, by target name.
pub(crate) fn executables<'a>(
    lines: impl Iterator<Item = &'a str>,
) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    let mut found = BTreeMap::new();
    for line in lines.filter(|line| line.starts_with('{')) {
        let message: Message =
            serde_json::from_str(line).context("cargo printed a message xtask cannot read")?;
        if message.reason != "compiler-artifact" {
            continue;
        }
        if let (Some(target), Some(executable)) = (message.target, message.executable) {
            found.insert(target.name, executable);
        }
    }
    Ok(found)
}
