//! `cargo xtask test`: what CI runs on every submission.

use std::path::PathBuf;
use std::process::Command;

use anyhow::bail;

use crate::{cargo, say};

/// What to do when the database tests can have no PostgreSQL; the same advice as the tests
/// give (`hub_testkit::postgres::INSTALL_HINT`).
const POSTGRES_HINT: &str = "the database tests need PostgreSQL: set DATABASE_URL to a \
     server whose user may create databases (such as postgres://postgres@127.0.0.1:5432/postgres), \
     or install the PostgreSQL server binaries so the tests can start a throwaway cluster \
     (initdb and pg_ctl: `apt-get install postgresql` on Debian or Ubuntu, \
     `brew install postgresql@15` on macOS)";

/// Runs each check in turn, stopping at the first that fails. Extra arguments go to
/// `cargo test`, for instance a test name filter.
pub(crate) fn run(extra: &[String]) -> anyhow::Result<()> {
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
