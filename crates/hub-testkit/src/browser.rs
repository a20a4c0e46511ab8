//! A real browser for tests: Debian's headless Chromium, loading a page as a person would and
//! handing back the DOM its scripts built.
//!
//! Chromium is installed with `apt-get` when it is missing and the tests run as root (as in
//! CI); otherwise the test fails saying how to install it.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Where Debian's `chromium` package puts the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";

const INSTALL_HINT: &str = "the browser tests need Chromium at /usr/bin/chromium: \
     `apt-get install -y --no-install-recommends chromium` (as root)";

/// How long a page may take before the test gives up on the browser.
const DEADLINE: Duration = Duration::from_secs(120);

/// The browser, installing it first when missing.
///
/// # Panics
///
/// When it is missing and cannot be installed, with how to install it.
pub fn chromium() -> PathBuf {
    let path = PathBuf::from(CHROMIUM);
    if path.exists() {
        return path;
    }
    // Test binaries running at once would otherwise race for apt's own lock and fail.
    let lock = File::create(std::env::temp_dir().join("hub-testkit-chromium.lock"))
        .expect("a lock file in the temporary directory");
    lock.lock().expect("the install lock");
    if !path.exists() {
        install();
    }
    path
}

fn install() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0");
    assert!(root, "{INSTALL_HINT}");

    for args in [
        &["update", "-q"][..],
        &["install", "-y", "-q", "--no-install-recommends", "chromium"][..],
    ] {
        let output = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .unwrap_or_else(|error| panic!("apt-get: {error}; {INSTALL_HINT}"));
        assert!(
            output.status.success(),
            "apt-get {args:?} failed:\n{}\n{}\n{INSTALL_HINT}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The DOM of the page at `url` after its scripts ran for up to `budget` of the browser's
/// virtual time, serialized as HTML.
///
/// # Panics
///
/// When the browser cannot run, fails, or does not finish within two minutes.
pub fn dump_dom(url: &str, budget: Duration) -> String {
    let profile = tempfile::tempdir().expect("a profile directory");
    let mut child = Command::new(chromium())
        // Without the networking flags Chromium reaches for Google's services, which a closed
        // network refuses, and the page's own connections suffer for it.
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--virtual-time-budget={}", budget.as_millis()))
        .args(["--dump-dom", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("chromium does not start: {error}; {INSTALL_HINT}"));

    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut dom = String::new();
        let mut log = String::new();
        let _ = stdout.read_to_string(&mut dom);
        let _ = stderr.read_to_string(&mut log);
        let _ = send.send((dom, log, child.wait()));
    });

    let Ok((dom, log, status)) = receive.recv_timeout(DEADLINE) else {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        panic!("chromium did not finish loading {url} within {DEADLINE:?}");
    };
    let status = status.expect("chromium's exit status");
    assert!(
        status.success(),
        "chromium failed on {url} ({status}):\n{log}"
    );
    dom
}
