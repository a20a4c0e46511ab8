//! `cargo xtask`: the project's tasks, so that CI, the README and a developer run the same
//! commands.
//!
//! - `cargo xtask test`: formatting check, clippy with warnings denied, and every test of
//!   the workspace, including the end-to-end test with the official `openai` client.

mod dist;
mod test;

use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  test    check formatting, run clippy with -D warnings, and run every test
  dist    build release archives with checksums under target/dist/ [--target TRIPLE]...";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(&args[1..]),
        Some("dist") => dist::run(&args[1..]),
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
