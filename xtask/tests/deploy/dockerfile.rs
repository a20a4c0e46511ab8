//! deploy/Dockerfile: clean under hadolint, and shaped as the issue asks (multi-stage, both
//! binaries, non-root, the gateway by default, a health check on /health). No Docker engine
//! runs here, so the image itself is not built by these tests.

use std::process::Command;

use crate::tools::{repo, run, tools};

/// The Dockerfile's instructions, continuation lines joined and comments dropped.
fn instructions() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("deploy/Dockerfile"))
        .expect("deploy/Dockerfile is readable");
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                instructions.push(std::mem::take(&mut current));
            }
        }
    }
    instructions
}

/// The instructions of the last stage, the image that ships.
fn runtime_stage() -> Vec<String> {
    let all = instructions();
    let last_from = all
        .iter()
        .rposition(|line| line.starts_with("FROM "))
        .expect("a FROM instruction");
    all[last_from..].to_vec()
}

#[test]
fn hadolint_finds_nothing_at_any_level() {
    let dockerfile = repo().join("deploy/Dockerfile");
    run(
        Command::new(&tools().hadolint)
            .args(["--no-color", "--failure-threshold", "style"])
            .arg(&dockerfile),
        "hadolint deploy/Dockerfile",
    );
}

#[test]
fn hadolint_is_live_and_rejects_a_careless_dockerfile() {
    let dir = tempfile::tempdir().unwrap();
    let careless = dir.path().join("Dockerfile");
    std::fs::write(
        &careless,
        "FROM debian\nRUN apt-get install curl\nUSER root\n",
    )
    .unwrap();

    let output = Command::new(&tools().hadolint)
        .args(["--no-color", "--failure-threshold", "style"])
        .arg(&careless)
        .output()
        .unwrap();

    assert!(!output.status.success());
    let findings = String::from_utf8_lossy(&output.stdout);
    for rule in ["DL3006", "DL3008", "DL3015", "DL3002"] {
        assert!(
            findings.contains(rule),
            "hadolint should report {rule}:\n{findings}"
        );
    }
}

#[test]
fn the_build_is_multi_stage_and_builds_both_binaries_locked() {
    let all = instructions();
    assert!(all.iter().filter(|line| line.starts_with("FROM ")).count() >= 2);

    let build = all
        .iter()
        .find(|line| line.contains("cargo build"))
        .expect("a cargo build step");
    for part in [
        "--release",
        "--locked",
        "--package hub-gateway",
        "--package hub-admin",
    ] {
        assert!(build.contains(part), "the build step lacks {part}: {build}");
    }
}

#[test]
fn the_image_runs_the_gateway_as_a_non_root_user_with_a_health_check() {
    let stage = runtime_stage();
    assert!(
        stage[0].contains("distroless") || stage[0].contains("slim"),
        "{}",
        stage[0]
    );

    let copy = stage
        .iter()
        .find(|line| line.starts_with("COPY --from="))
        .unwrap();
    assert!(
        copy.contains("hub-gateway") && copy.contains("hub-admin"),
        "{copy}"
    );

    let user = stage
        .iter()
        .rfind(|line| line.starts_with("USER "))
        .unwrap();
    let uid = user["USER ".len()..].split(':').next().unwrap();
    let uid: u32 = uid
        .parse()
        .expect("a numeric user, which Kubernetes can check");
    assert_ne!(uid, 0, "{user}");

    let health = stage
        .iter()
        .find(|line| line.starts_with("HEALTHCHECK "))
        .unwrap();
    assert!(
        health.contains(r#"CMD ["/usr/local/bin/hub-gateway", "healthcheck"]"#),
        "{health}"
    );

    let cmd = stage.iter().rfind(|line| line.starts_with("CMD ")).unwrap();
    assert_eq!(cmd, r#"CMD ["/usr/local/bin/hub-gateway"]"#);
    assert!(stage.iter().all(|line| !line.starts_with("ENTRYPOINT")));
}

#[test]
fn the_build_context_leaves_out_build_output_and_git() {
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    let lines: Vec<&str> = ignore.lines().map(str::trim).collect();
    assert!(lines.contains(&"target/"), "{ignore}");
    assert!(lines.contains(&".git/"), "{ignore}");
}
