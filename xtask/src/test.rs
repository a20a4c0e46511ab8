//! `cargo xtask test`: what CI runs on every submission.

use crate::cargo;

/// Runs each check in turn, stopping at the first that fails. Extra arguments go to
/// `cargo test`, for instance a test name filter.
pub(crate) fn run(extra: &[String]) -> anyhow::Result<()> {
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
