//! deploy/docker-compose.yml, read by Docker Compose v2's own `config` command: it parses,
//! validates against the Compose specification and interpolates, with no Docker engine. The
//! resolved model is then checked service by service for each mode.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::tools::{repo, run, tools};

/// `docker-compose --profile P... ARGS` on the repository's compose file, in an environment
/// with nothing of this machine's but `PATH`, plus `env`.
fn compose(profiles: &[&str], args: &[&str], env: &[(&str, &str)], home: &Path) -> Command {
    let mut command = Command::new(&tools().docker_compose);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .envs(env.iter().copied())
        .arg("--file")
        .arg(repo().join("deploy/docker-compose.yml"));
    for profile in profiles {
        command.args(["--profile", profile]);
    }
    command.args(args);
    command
}

/// The resolved model of the given profiles, as JSON.
fn model(profiles: &[&str], env: &[(&str, &str)]) -> Value {
    let home = tempfile::tempdir().expect("a temporary home");
    let output: Output = run(
        &mut compose(profiles, &["config", "--format", "json"], env, home.path()),
        &format!("docker-compose config with profiles {profiles:?}"),
    );
    serde_json::from_slice(&output.stdout).expect("compose prints JSON")
}

fn service_names(model: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = model["services"]
        .as_object()
        .expect("a services map")
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    names
}

#[test]
fn every_mode_parses_and_validates() {
    let home = tempfile::tempdir().unwrap();
    for profiles in [
        &["yaml"][..],
        &["database"],
        &["yaml", "observability"],
        &["database", "observability"],
    ] {
        run(
            &mut compose(profiles, &["config", "--quiet"], &[], home.path()),
            &format!("docker-compose config --quiet with profiles {profiles:?}"),
        );
    }
}

#[test]
fn compose_is_live_and_rejects_an_unknown_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compose.yml");
    std::fs::write(
        &file,
        "services:\n  gateway:\n    image: hub\n    restart_policy: always\n",
    )
    .unwrap();

    let output = Command::new(&tools().docker_compose)
        .env("HOME", dir.path())
        .arg("--file")
        .arg(&file)
        .args(["config", "--quiet"])
        .output()
        .unwrap();

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("restart_policy"), "{stderr}");
}

#[test]
fn yaml_mode_is_one_gateway_reading_the_compose_config() {
    let model = model(&["yaml"], &[]);
    assert_eq!(service_names(&model), ["gateway"]);

    let gateway = &model["services"]["gateway"];
    assert_eq!(gateway["environment"]["HUB_MODE"], "yaml");
    assert_eq!(
        gateway["environment"]["CONFIG_FILE_PATH"],
        "/etc/hub/config.yaml"
    );
    assert_eq!(gateway["ports"][0]["target"], 3000);
    assert_eq!(gateway["healthcheck"]["test"][2], "healthcheck");
    assert!(
        gateway["stop_grace_period"].is_string(),
        "streams get time to finish"
    );

    let volume = &gateway["volumes"][0];
    assert_eq!(volume["target"], "/etc/hub/config.yaml");
    assert_eq!(volume["read_only"], true);
    let source = volume["source"].as_str().unwrap();
    assert_eq!(Path::new(source), repo().join("deploy/compose/config.yaml"));
}

#[test]
fn the_compose_config_is_a_valid_hub_config() {
    let text = std::fs::read_to_string(repo().join("deploy/compose/config.yaml")).unwrap();
    let env = |name: &str| (name == "OPENAI_API_KEY").then(|| "sk-test".to_owned());
    hub_config::load_str(&text, &env).unwrap_or_else(|error| panic!("{error}"));
}

#[test]
fn database_mode_migrates_before_hub_admin_and_the_gateway_start() {
    let model = model(&["database"], &[]);
    assert_eq!(
        service_names(&model),
        ["gateway-db", "hub-admin", "migrate", "postgres"]
    );
    let services = &model["services"];

    assert_eq!(
        services["migrate"]["command"],
        serde_json::json!(["/usr/local/bin/hub-admin", "migrate"])
    );
    assert_eq!(services["migrate"]["restart"], "no");
    assert_eq!(
        services["migrate"]["depends_on"]["postgres"]["condition"],
        "service_healthy"
    );
    for waits in ["hub-admin", "gateway-db"] {
        assert_eq!(
            services[waits]["depends_on"]["migrate"]["condition"], "service_completed_successfully",
            "{waits} starts after the migrations"
        );
    }

    let url = &services["migrate"]["environment"]["DATABASE_URL"];
    assert!(url.as_str().unwrap().contains("@postgres:5432/"), "{url}");
    assert_eq!(&services["hub-admin"]["environment"]["DATABASE_URL"], url);
    assert_eq!(&services["gateway-db"]["environment"]["DATABASE_URL"], url);

    assert_eq!(
        services["hub-admin"]["command"],
        serde_json::json!(["/usr/local/bin/hub-admin"])
    );
    assert_eq!(
        services["hub-admin"]["environment"]["MANAGEMENT_PORT"],
        "8080"
    );
    assert_eq!(
        services["hub-admin"]["healthcheck"]["test"][3],
        "127.0.0.1:8080"
    );
    assert_eq!(
        services["gateway-db"]["environment"]["HUB_MODE"],
        "database"
    );
    let image = &services["gateway-db"]["image"];
    assert_eq!(&services["hub-admin"]["image"], image);
    assert_eq!(&services["migrate"]["image"], image);
}

#[test]
fn database_mode_keys_come_from_the_shell_and_never_from_the_file() {
    let unset = model(&["database"], &[]);
    assert!(unset["services"]["hub-admin"]["environment"]["HUB_ADMIN_TOKEN"].is_null());
    assert!(unset["services"]["gateway-db"]["environment"]["HUB_SECRET_KEY"].is_null());

    let set = model(
        &["database"],
        &[("HUB_ADMIN_TOKEN", "t0ken"), ("HUB_SECRET_KEY", "k3y")],
    );
    let services = &set["services"];
    assert_eq!(
        services["hub-admin"]["environment"]["HUB_ADMIN_TOKEN"],
        "t0ken"
    );
    assert_eq!(
        services["hub-admin"]["environment"]["HUB_SECRET_KEY"],
        "k3y"
    );
    assert_eq!(
        services["gateway-db"]["environment"]["HUB_SECRET_KEY"],
        "k3y"
    );
}

#[test]
fn observability_scrapes_the_gateway_and_receives_its_traces() {
    let model = model(&["database", "observability"], &[]);
    let services = &model["services"];
    assert!(services["otel-collector"].is_object() && services["prometheus"].is_object());

    // Prometheus scrapes `gateway:3000`: the YAML-mode service's name, database mode's alias.
    let prometheus = read_yaml("deploy/compose/prometheus.yml");
    assert_eq!(prometheus["scrape_configs"][0]["metrics_path"], "/metrics");
    assert_eq!(
        prometheus["scrape_configs"][0]["static_configs"][0]["targets"][0],
        "gateway:3000"
    );
    let aliases = &services["gateway-db"]["networks"]["default"]["aliases"];
    assert_eq!(aliases, &serde_json::json!(["gateway"]));

    // The compose config's tracing plugins send where the collector listens.
    let collector = read_yaml("deploy/compose/otel-collector.yaml");
    assert_eq!(
        collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"],
        "0.0.0.0:4318"
    );
    assert_eq!(
        collector["service"]["pipelines"]["traces"]["receivers"][0],
        "otlp"
    );
    let config = read_yaml("deploy/compose/config.yaml");
    for pipeline in config["pipelines"].as_array().unwrap() {
        let tracing = pipeline["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|plugin| plugin.get("tracing"))
            .unwrap_or_else(|| panic!("pipeline {} traces", pipeline["name"]));
        assert_eq!(tracing["endpoint"], "http://otel-collector:4318");
    }
}

fn read_yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(repo().join(path)).expect("the file is readable");
    serde_norway::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}
