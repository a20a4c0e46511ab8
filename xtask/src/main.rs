//! `cargo xtask`: the project's tasks, so that CI, the README and a developer run the same
//! commands.
//!
//! - `cargo xtask test`: formatting check, clippy with warnings denied, and every test of
//!   the workspace, including the end-to-end test with the official `openai` client and the
//!   database tests against a real PostgreSQL.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  test    check formatting, run clippy with -D warnings, and run every test

The database tests use the PostgreSQL server DATABASE_URL names, when it is set; otherwise
each test binary starts a throwaway cluster from the local server binaries (initdb, pg_ctl)
on a free port, and removes it when done.";

/// What to do when the database tests can have no PostgreSQL; the same advice as the tests
/// give (`hub_testkit::postgres::INSTALL_HINT`).
const POSTGRES_HINT: &str = "the database tests need PostgreSQL: set DATABASE_URL to a \
     server whose user may create databases (such as postgres://postgres@127.0.0.1:5432/postgres), \
     or install the PostgreSQL server binaries so the tests can start a throwaway cluster \
     (initdb and pg_ctl: `apt-get install postgresql` on Debian or Ubuntu, \
     `brew install postgresql@15` on macOS)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
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

/// Runs each check in turn, stopping at the first that fails. Extra arguments go to
/// `cargo test`, for instance a test name filter.
fn test(extra: &[String]) -> anyhow::Result<()> {
    check_postgres()?;
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;

    let mut args = vec!["test", "--workspace", "--all-targets"];
    args.extend(extra.iter().map(String::as_str));
    cargo(&args)?;
    cargo(&["test", "--workspace", "--doc"])
}

/// Says which PostgreSQL the database tests will use, and fails before anything is built
/// when there is none to be had.
fn check_postgres() -> anyhow::Result<()> {
    if std::env::var("DATABASE_URL").is_ok_and(|url| !url.trim().is_empty()) {
        say("xtask: database tests use the server DATABASE_URL names");
        return Ok(());
    }
    match postgres_binaries() {
        Some(dir) => {
            say(&format!(
                "xtask: database tests start throwaway PostgreSQL clusters from {}",
                dir.display()
            ));
            Ok(())
        }
        None => bail!("{POSTGRES_HINT}"),
    }
}

/// Where `initdb` and `pg_ctl` are: on `PATH`, where `pg_config` says, or under
/// `/usr/lib/postgresql/<version>/bin`, as the test support looks for them.
fn postgres_binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("bin"));

    on_path
        .into_iter()
        .chain(from_pg_config)
        .chain(debian)
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

fn cargo(args: &[&str]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    say(&format!("xtask: cargo {}", args.join(" ")));
    let status = Command::new(&cargo)
        .args(args)
        .status()
        .with_context(|| format!("cannot run {cargo}"))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// xtask talks to a person at a terminal; stderr keeps stdout free for cargo's own output.
fn say(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}
