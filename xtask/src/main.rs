//! `cargo xtask`: the project's tasks, so that CI, the README and a developer run the same
//! commands.
//!
//! - `cargo xtask test`: formatting check, clippy with warnings denied, and every test of
//!   the workspace, including the end-to-end test with the official `openai` client and the
//!   database tests against a real PostgreSQL.
//! - `cargo xtask bench`: the gateway's CPU, latency, throughput and memory, each beside a
//!   baseline measured in the same run.
//! - `cargo xtask soak`: the gateway for minutes under a steady mix of calls, upstream faults
//!   and clients that leave, then a check that it leaked no connection, task or memory.
//! - `cargo xtask dist`: release archives of the binaries with checksums, under
//!   `target/dist/`.
//! - `cargo xtask fuzz`: each fuzz target of `crates/hub-fuzz` under libFuzzer for a bounded
//!   time, its finds merged into the committed corpus.

mod bench;
mod dist;
mod fuzz;
mod soak;
mod test;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  test    check formatting, run clippy with -D warnings, and run every test
  bench   measure the gateway against the emulator it fronts
  soak    run the gateway under faults for minutes and check it leaks nothing
          [--seconds N (180)] [--rate CALLS_PER_SECOND (30)] [--profile NAME (dev)]
  dist    build release archives with checksums under target/dist/ [--target TRIPLE]...
  fuzz    fuzz the parsers of client, upstream and operator input with libFuzzer
          [--list] [--target NAME]... [--seconds N per target, default 60]

The database tests use the PostgreSQL server DATABASE_URL names, when it is set; otherwise
each test binary starts a throwaway cluster from the local server binaries (initdb, pg_ctl)
on a free port, and removes it when done.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("soak") => soak::run(&args[1..]),
        Some("dist") => dist::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("-h" | "--help") => {
            say(USAGE);
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown task `{other}`\n\n{USAGE}")),
        None => Err(anyhow::anyhow!("{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            say(&format!("xtask: {error:#}"));
            ExitCode::FAILURE
        }
    }
}

/// Runs cargo with `args` in the foreground, failing when it does.
fn cargo(args: &[&str]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    say(&format!("xtask: cargo {}", args.join(" ")));
    let mut command = Command::new(&cargo);
    clear_xtask_package_env(&mut command);
    let status = command
        .args(args)
        .status()
        .with_context(|| format!("cannot run {cargo}"))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Removes what `cargo run` set for xtask itself (`CARGO_PKG_NAME=xtask`, its manifest dir...).
/// Cargo compares build scripts' `rerun-if-env-changed` variables in its own environment, and
/// ring's build script watches these, so they would rebuild it (and all above it) whenever xtask
/// and a plain cargo command take turns.
pub(crate) fn clear_xtask_package_env(command: &mut Command) {
    const SET_BY_CARGO_RUN: [&str; 5] = [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
    ];
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_") || SET_BY_CARGO_RUN.contains(&name.as_ref()) {
            command.env_remove(name.as_ref());
        }
    }
}

/// The workspace's root folder.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// xtask talks to a person at a terminal; stderr keeps stdout free for cargo's own output.
fn say(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}
