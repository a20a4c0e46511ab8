//! `cargo xtask fuzz`: every fuzz target of `crates/hub-fuzz` under libFuzzer, one after the
//! other, each for a bounded time.
//!
//! The driver is built on the stable toolchain: libFuzzer comes from the `libfuzzer-sys`
//! crate, and coverage from LLVM's sanitizer-coverage pass, turned on with stable codegen
//! flags. The build goes to its own target directory (`target/fuzz`), so its flags never
//! invalidate an ordinary build, and targets the host triple explicitly, so that build scripts
//! and proc macros are built without instrumentation.
//!
//! Each target starts from its committed corpus (`crates/hub-fuzz/corpus/<target>/`) and a
//! scratch one under `target/fuzz/corpus/`, which keeps everything a run finds; afterwards the
//! fewest inputs that reach edges the committed corpus does not are added to it, so that it
//! stays small. Inputs that crash, hang or exhaust
//! memory are written under `target/fuzz/artifacts/<target>/`, never committed: each becomes
//! a regression test where the fix is made.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::bench::target_dir;
use crate::{clear_xtask_package_env, say, workspace_root};

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 60;

/// Coverage instrumentation as `cargo fuzz` sets it up, with stable flags only:
/// inline 8-bit edge counters and a PC table for libFuzzer's feedback, and comparison tracing
/// so that it learns the magic values (field names, headers) the parsers compare against.
const RUSTFLAGS: [&str; 7] = [
    "-Cpasses=sancov-module",
    "-Cllvm-args=-sanitizer-coverage-level=4",
    "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
    "-Cllvm-args=-sanitizer-coverage-pc-table",
    "-Cllvm-args=-sanitizer-coverage-trace-compares",
    "--cfg=fuzzing",
    "-Cforce-frame-pointers=yes",
];

/// libFuzzer's limits: an input that runs longer than `-timeout` seconds is a hang, and one
/// that takes the process past `-rss_limit_mb` (or one allocation past `-malloc_limit_mb`) is
/// unbounded growth.
const LIMITS: [&str; 3] = ["-timeout=10", "-rss_limit_mb=2048", "-malloc_limit_mb=1024"];

const USAGE: &str = "usage: cargo xtask fuzz [--list] [--target NAME]... [--seconds N]";

#[derive(Debug)]
struct Options {
    list: bool,
    targets: Vec<String>,
    seconds: u64,
}

/// What one target's run came to.
#[derive(Debug)]
struct Report {
    target: String,
    runs: u64,
    coverage: String,
    corpus_files: usize,
    corpus_bytes: u64,
    crashes: Vec<PathBuf>,
}

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let options = parse(args)?;
    let known = known_targets()?;
    if options.list {
        for target in &known {
            say(target);
        }
        return Ok(());
    }
    let selected = select(&options.targets, &known)?;

    let driver = build()?;
    let mut reports = Vec::new();
    for target in &selected {
        reports.push(fuzz(&driver, target, options.seconds)?);
    }

    print(&reports, options.seconds);
    let crashes: Vec<&PathBuf> = reports.iter().flat_map(|report| &report.crashes).collect();
    if !crashes.is_empty() {
        let listed: Vec<String> = crashes
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        bail!(
            "{} input(s) crashed, hung or ran out of memory:\n  {}\nreplay one with \
             HUB_FUZZ_TARGET=<target> {} <input>",
            crashes.len(),
            listed.join("\n  "),
            driver.display()
        );
    }
    Ok(())
}

fn parse(args: &[String]) -> anyhow::Result<Options> {
    let mut options = Options {
        list: false,
        targets: Vec::new(),
        seconds: DEFAULT_SECONDS,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--list" => options.list = true,
            "--target" => {
                let name = args.next().context("--target needs a target name")?;
                options.targets.push(name.clone());
            }
            "--seconds" => {
                let seconds = args.next().context("--seconds needs a number")?;
                options.seconds = seconds
                    .parse()
                    .ok()
                    .filter(|seconds| *seconds > 0)
                    .with_context(|| format!("--seconds {seconds}: not a positive number"))?;
            }
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    Ok(options)
}

fn corpus_root() -> PathBuf {
    workspace_root().join("crates/hub-fuzz/corpus")
}

/// The targets, by their corpus folders: `hub-fuzz`'s tests check that each target has one.
fn known_targets() -> anyhow::Result<Vec<String>> {
    let root = corpus_root();
    let entries = std::fs::read_dir(&root).with_context(|| format!("{}", root.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

fn select(wanted: &[String], known: &[String]) -> anyhow::Result<Vec<String>> {
    if wanted.is_empty() {
        return Ok(known.to_vec());
    }
    for name in wanted {
        if !known.contains(name) {
            bail!("no fuzz target `{name}`; `cargo xtask fuzz --list` lists them");
        }
    }
    Ok(wanted.to_vec())
}

/// Builds the instrumented driver and returns its path.
fn build() -> anyhow::Result<PathBuf> {
    let host = host_triple()?;
    let dir = target_dir().join("fuzz");
    let args = [
        "build",
        "--profile",
        "fuzz",
        "-p",
        "hub-fuzz",
        "--features",
        "libfuzzer",
        "--bin",
        "hub-fuzz",
        "--target",
        &host,
    ];
    say(&format!(
        "xtask: cargo {} (instrumented, in {})",
        args.join(" "),
        dir.display()
    ));

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(&cargo);
    clear_xtask_package_env(&mut command);
    let status = command
        .args(args)
        .env("CARGO_TARGET_DIR", &dir)
        .env("RUSTFLAGS", RUSTFLAGS.join(" "))
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .with_context(|| format!("cannot run {cargo}"))?;
    if !status.success() {
        bail!("building the fuzz driver failed ({status})");
    }
    Ok(dir.join(host).join("fuzz").join("hub-fuzz"))
}

fn host_triple() -> anyhow::Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(&rustc)
        .arg("-vV")
        .output()
        .with_context(|| format!("cannot run {rustc}"))?;
    let text = String::from_utf8(output.stdout)?;
    text.lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .context("rustc -vV names no host")
}

/// Runs one target for `seconds`, then merges what it found into the committed corpus.
fn fuzz(driver: &Path, target: &str, seconds: u64) -> anyhow::Result<Report> {
    let work = target_dir().join("fuzz");
    let scratch = work.join("corpus").join(target);
    let artifacts = work.join("artifacts").join(target);
    let logs = work.join("logs");
    for dir in [&scratch, &artifacts, &logs] {
        std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    }
    let corpus = corpus_root().join(target);
    let log = logs.join(format!("{target}.log"));
    say(&format!(
        "xtask: fuzzing {target} for {seconds} s (log: {})",
        log.display()
    ));

    let before = files(&artifacts)?;
    let mut prefix = artifacts.into_os_string();
    prefix.push("/");
    let mut run = driver_command(driver, target, &log)?;
    run.arg(&scratch)
        .arg(&corpus)
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}", prefix.to_string_lossy()))
        .args(LIMITS);
    let status = run.status().context("cannot run the fuzz driver")?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let crashes: Vec<PathBuf> = files(Path::new(&prefix))?
        .difference(&before)
        .cloned()
        .collect();
    if !status.success() && crashes.is_empty() {
        bail!(
            "the fuzz driver failed ({status}) without an artifact; see {}",
            log.display()
        );
    }

    merge(driver, target, &corpus, &scratch, &logs)?;
    let (corpus_files, corpus_bytes) = size(&corpus)?;
    Ok(Report {
        target: target.to_owned(),
        runs: stat(&text, "stat::number_of_executed_units:").unwrap_or(0),
        coverage: coverage(&text),
        corpus_files,
        corpus_bytes,
        crashes,
    })
}

/// Adds to the committed corpus the fewest scratch inputs that reach the edges it does not
/// (a set cover over edges, hit counts left out), so that it grows only with new coverage.
fn merge(
    driver: &Path,
    target: &str,
    corpus: &Path,
    scratch: &Path,
    logs: &Path,
) -> anyhow::Result<()> {
    let log = logs.join(format!("{target}.merge.log"));
    let status = driver_command(driver, target, &log)?
        .args(["-set_cover_merge=1", "-use_counters=0"])
        .arg(corpus)
        .arg(scratch)
        .args(LIMITS)
        .status()
        .context("cannot run the fuzz driver")?;
    if !status.success() {
        bail!(
            "merging the corpus of {target} failed ({status}); see {}",
            log.display()
        );
    }
    Ok(())
}

/// The driver running `target`, its output going to `log`.
fn driver_command(driver: &Path, target: &str, log: &Path) -> anyhow::Result<Command> {
    let output = File::create(log).with_context(|| format!("{}", log.display()))?;
    let mut command = Command::new(driver);
    command
        .env("HUB_FUZZ_TARGET", target)
        .stdout(Stdio::null())
        .stderr(output);
    Ok(command)
}

fn files(dir: &Path) -> anyhow::Result<BTreeSet<PathBuf>> {
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        found.insert(entry?.path());
    }
    Ok(found)
}

fn size(dir: &Path) -> anyhow::Result<(usize, u64)> {
    let files = files(dir)?;
    let mut bytes = 0;
    for file in &files {
        bytes += std::fs::metadata(file)?.len();
    }
    Ok((files.len(), bytes))
}

/// A `stat::name: value` line of `-print_final_stats`.
fn stat(log: &str, name: &str) -> Option<u64> {
    log.lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|value| value.trim().parse().ok())
}

/// The `cov:` and `ft:` figures of libFuzzer's last status line: edges covered, and
/// features (edges with hit counts, comparisons) seen.
fn coverage(log: &str) -> String {
    let Some(line) = log.lines().rev().find(|line| line.contains(" cov: ")) else {
        return "-".to_owned();
    };
    let figure = |name: &str| {
        line.split_whitespace()
            .skip_while(|word| *word != name)
            .nth(1)
            .unwrap_or("-")
            .to_owned()
    };
    format!("{} / {}", figure("cov:"), figure("ft:"))
}

fn print(reports: &[Report], seconds: u64) {
    say(&format!(
        "\n{:<20} {:>8} {:>10} {:>14} {:>16} {:>8}",
        "target", "seconds", "runs", "cov / ft", "corpus", "crashes"
    ));
    for report in reports {
        let corpus = format!(
            "{} ({} KiB)",
            report.corpus_files,
            report.corpus_bytes / 1024
        );
        say(&format!(
            "{:<20} {:>8} {:>10} {:>14} {:>16} {:>8}",
            report.target,
            seconds,
            report.runs,
            report.coverage,
            corpus,
            report.crashes.len()
        ));
    }
}
