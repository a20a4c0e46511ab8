//! Starting the real binary on a loopback port with a configuration written to a temporary
//! directory, and reading its JSON logs.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// A running `hub-gateway` process. Killed on drop if still running.
pub(crate) struct GatewayProcess {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) logs: mpsc::Receiver<Value>,
    /// The lines written before the one that says where it listens.
    pub(crate) startup_logs: Vec<Value>,
    _dir: tempfile::TempDir,
}

/// A configuration routing the usual model names to the emulator at `base_url`.
pub(crate) fn mock_config(base_url: &str) -> String {
    format!(
        r#"
providers:
  - key: mock
    type: openai
    api_key: ${{MOCK_KEY}}
    base_url: {base_url}
models:
  - {{ key: gpt-4o, type: gpt-4o, provider: mock }}
  - {{ key: gpt-3.5-turbo-instruct, type: gpt-3.5-turbo-instruct, provider: mock }}
  - {{ key: text-embedding-3-small, type: text-embedding-3-small, provider: mock }}
pipelines:
  - name: default
    type: chat
    plugins:
      - logging: {{ level: info }}
      - model-router: {{ models: [gpt-4o] }}
  - name: completions
    type: completion
    plugins:
      - model-router: {{ models: [gpt-3.5-turbo-instruct] }}
  - name: embeddings
    type: embeddings
    plugins:
      - model-router: {{ models: [text-embedding-3-small] }}
"#
    )
}

/// The command for the binary with `config` as its file and the test environment set.
pub(crate) fn command(config: &str) -> (Command, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path: PathBuf = dir.path().join("config.yaml");
    std::fs::write(&path, config).expect("the config is written");

    let mut command = Command::new(env!("CARGO_BIN_EXE_hub-gateway"));
    command
        .env_clear()
        .env("HUB_MODE", "yaml")
        .env("CONFIG_FILE_PATH", &path)
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    (command, dir)
}

impl GatewayProcess {
    /// Starts the binary and waits for it to say where it listens.
    pub(crate) fn start(mut command: Command, dir: tempfile::TempDir) -> GatewayProcess {
        let mut child = command.spawn().expect("hub-gateway starts");
        let logs = read_logs(child.stderr.take().expect("stderr is piped"));

        let mut startup_logs = Vec::new();
        let addr = loop {
            let line = logs
                .recv_timeout(Duration::from_secs(20))
                .expect("hub-gateway logs that it listens within 20 s");
            if line["fields"]["message"] == "hub-gateway listening" {
                let addr = line["fields"]["address"]
                    .as_str()
                    .expect("an address field");
                break addr.parse().expect("a socket address");
            }
            startup_logs.push(line);
        };
        GatewayProcess {
            child,
            addr,
            logs,
            startup_logs,
            _dir: dir,
        }
    }

    /// `http://ADDR/v1`, the base URL an OpenAI client takes.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Sends SIGTERM, as an orchestrator stopping the pod would.
    pub(crate) fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM succeeds");
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each JSON log line, as it is written, on a channel.
fn read_logs(stderr: ChildStderr) -> mpsc::Receiver<Value> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
            if send.send(value).is_err() {
                break;
            }
        }
    });
    receive
}

/// The client version the wire format was checked against (PROTOCOLS.md section 7).
const OPENAI_VERSION: &str = "3.60.0";

/// Runs `tests/e2e/openai_client.py` against `gateway` with `env` (model names, checks), and
/// fails the test with the client's output unless every check passes.
pub(crate) async fn run_openai_client(gateway: &GatewayProcess, env: &[(&str, &str)]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/openai_client.py");
    let mut command = Command::new(openai_virtualenv());
    command
        .arg(script)
        .env("HUB_BASE_URL", gateway.base_url())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .envs(env.iter().copied());

    let output = tokio::task::spawn_blocking(move || command.output().expect("python runs"))
        .await
        .expect("the client's task ends");

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the client failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.trim_end().ends_with("ok"), "{stdout}");
}

/// The virtualenv's python, creating the virtualenv and installing the client once. Tests
/// running at the same time share one install, guarded by a lock.
fn openai_virtualenv() -> PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);

    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("openai-{OPENAI_VERSION}"));
    let python = venv.join("bin/python");
    let check = format!("import openai, sys; sys.exit(openai.__version__ != '{OPENAI_VERSION}')");
    let installed = Command::new(&python)
        .args(["-c", &check])
        .status()
        .is_ok_and(|status| status.success());
    if installed {
        return python;
    }

    run(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
        "python3 -m venv (needs python3 3.10 or newer with the venv module)",
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
