//! End to end with the official `openai` Python client, pinned and installed by this test
//! into a virtualenv of its own under the target directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use hub_testkit::{MockConfig, OpenAiMock};

use crate::common::{GatewayProcess, command, mock_config};

/// The client version the wire format was checked against (PROTOCOLS.md section 7).
const OPENAI_VERSION: &str = "3.60.0";

#[tokio::test]
async fn the_official_python_client_works_unchanged() {
    let python = openai_virtualenv();
    let mock = OpenAiMock::start(MockConfig {
        api_key: Some("sk-upstream".to_owned()),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let (mut command, dir) = command(&mock_config(&mock.base_url()));
    command.env("MOCK_KEY", "sk-upstream");
    let gateway = GatewayProcess::start(command, dir);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/openai_client.py");
    let base_url = gateway.base_url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .env("HUB_BASE_URL", base_url)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .expect("python runs")
    })
    .await
    .unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the client failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.trim_end().ends_with("ok"), "{stdout}");

    let embeddings = mock
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/embeddings");
    let formats: Vec<_> = embeddings
        .map(|r| r.body["encoding_format"].clone())
        .collect();
    assert_eq!(
        formats,
        ["base64", "float"],
        "the client's default encoding reached the upstream"
    );
}

/// The virtualenv's python, creating the virtualenv and installing the client once.
fn openai_virtualenv() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("openai-{OPENAI_VERSION}"));
    let python = venv.join("bin/python");
    let installed = Command::new(&python)
        .args([
            "-c",
            &format!("import openai, sys; sys.exit(openai.__version__ != '{OPENAI_VERSION}')"),
        ])
        .status()
        .is_ok_and(|status| status.success());
    if installed {
        return python;
    }

    run(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
        "python3 -m venv (install python3 and python3-venv, version 3.10 or newer)",
    );
    run(
        Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("openai=={OPENAI_VERSION}"),
        ]),
        "pip install openai (needs access to PyPI)",
    );
    python
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
