//! Python tools for tests, from PyPI at pinned versions, installed once into a virtualenv.
//!
//! The virtualenv lives under a directory the caller names (a test's
//! `env!("CARGO_TARGET_TMPDIR")`), and a marker file holding the requirements says it is
//! complete, so later runs reuse it. A file lock serializes installs across the test binaries
//! that run at once. An install that fails panics with pip's output: a tool the tests need is
//! never skipped.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The virtualenv `root/name` holding `requirements` (a pip requirements file's text),
/// created or brought up to date on first use. Returns the virtualenv's directory; its tools
/// are in `bin/`.
///
/// # Panics
///
/// When Python's venv module or PyPI cannot be had, with what to install.
pub fn virtualenv(root: &Path, name: &str, requirements: &str) -> PathBuf {
    let venv = root.join(name);
    std::fs::create_dir_all(root).expect("the virtualenv's parent directory can be made");
    let lock = File::create(root.join(format!("{name}.lock"))).expect("a lock file");
    lock.lock().expect("the install lock");

    let marker = venv.join("requirements.installed");
    let installed = std::fs::read_to_string(&marker).is_ok_and(|text| text == requirements);
    if !installed {
        install(&venv, requirements);
        std::fs::write(&marker, requirements).expect("the install is recorded");
    }
    venv
}

fn install(venv: &Path, requirements: &str) {
    run(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(venv),
        "python3 -m venv (needs python3 3.10 or newer with the venv module: \
         `apt-get install python3-venv`)",
    );
    let file = venv.join("requirements.txt");
    std::fs::write(&file, requirements).expect("the requirements are written");
    run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&file),
        "pip install (needs access to PyPI)",
    );
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The independent OpenAPI validator the specs are checked with.
const SPEC_VALIDATOR: &str = "openapi-spec-validator==0.9.0\n";

/// Checks `spec` (OpenAPI JSON) with `openapi-spec-validator`, installed under `root`.
///
/// # Panics
///
/// When the spec is not valid, with the validator's report.
pub fn validate_openapi(root: &Path, spec: &[u8]) {
    let venv = virtualenv(root, "openapi-spec-validator", SPEC_VALIDATOR);
    let file = tempfile::Builder::new()
        .suffix(".json")
        .tempfile()
        .expect("a temporary file");
    std::fs::write(file.path(), spec).expect("the spec is written");

    let output = Command::new(venv.join("bin/openapi-spec-validator"))
        .arg(file.path())
        .output()
        .expect("openapi-spec-validator runs");
    assert!(
        output.status.success(),
        "the spec is not valid OpenAPI:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
