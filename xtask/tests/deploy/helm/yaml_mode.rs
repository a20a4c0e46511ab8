//! The chart in YAML mode: its own ConfigMap by default, or a ConfigMap or Secret of yours.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use super::{
    Chart, KUBE_VERSIONS, assert_lints_clean, assert_valid_kubernetes, config_volume, container,
    database_values, env,
};
use crate::tools::{repo, tools};

#[test]
fn yaml_mode_by_default_lints_clean_and_renders_valid_kubernetes() {
    let chart = Chart::render(&json!({}));
    assert_lints_clean(&chart);
    assert_eq!(
        chart.kinds(),
        [
            "ConfigMap/hub-config",
            "Deployment/hub",
            "PodDisruptionBudget/hub",
            "Service/hub",
            "ServiceAccount/hub"
        ]
    );
    assert_valid_kubernetes(&chart, &KUBE_VERSIONS);
}

#[test]
fn yaml_mode_gateways_are_probed_sized_and_read_the_chart_config() {
    let chart = Chart::render(&json!({}));
    let deployment = chart.object("Deployment", "hub");
    let pod = &deployment["spec"]["template"]["spec"];
    let gateway = container(deployment, "gateway");

    assert_eq!(deployment["spec"]["replicas"], 2);
    assert_eq!(gateway["livenessProbe"]["httpGet"]["path"], "/health");
    assert_eq!(gateway["readinessProbe"]["httpGet"]["path"], "/health");
    assert!(gateway["resources"]["requests"]["cpu"].is_string());
    assert!(gateway["resources"]["requests"]["memory"].is_string());
    assert_eq!(pod["terminationGracePeriodSeconds"], 120);
    assert_eq!(gateway["lifecycle"]["preStop"]["sleep"]["seconds"], 5);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(gateway["securityContext"]["readOnlyRootFilesystem"], true);

    assert_eq!(env(gateway, "HUB_MODE")["value"], "yaml");
    assert_eq!(
        env(gateway, "CONFIG_FILE_PATH")["value"],
        "/etc/hub/config.yaml"
    );
    assert_eq!(config_volume(deployment)["configMap"]["name"], "hub-config");
    let checksum = &deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"];
    assert_eq!(
        checksum.as_str().unwrap().len(),
        64,
        "a config change rolls the gateways"
    );

    let pdb = chart.object("PodDisruptionBudget", "hub");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        deployment["spec"]["selector"]["matchLabels"]
    );
    let service = chart.object("Service", "hub");
    assert_eq!(
        service["spec"]["selector"],
        deployment["spec"]["selector"]["matchLabels"]
    );
}

#[test]
fn the_default_inline_config_is_a_valid_hub_config() {
    let chart = Chart::render(&json!({}));
    let text = chart.object("ConfigMap", "hub-config")["data"]["config.yaml"]
        .as_str()
        .unwrap();
    let env = |name: &str| (name == "OPENAI_API_KEY").then(|| "sk-test".to_owned());
    hub_config::load_str(text, &env).unwrap_or_else(|error| panic!("{error}"));
}

#[test]
fn yaml_mode_reads_an_existing_secret_or_configmap_instead() {
    let chart = Chart::render(&json!({ "config": { "existingSecret": "hub-config-file" } }));
    assert_lints_clean(&chart);
    assert!(
        !chart
            .kinds()
            .iter()
            .any(|kind| kind.starts_with("ConfigMap/"))
    );
    let volume = config_volume(chart.object("Deployment", "hub"));
    assert_eq!(volume["secret"]["secretName"], "hub-config-file");
    assert!(
        chart.notes().contains("rollout restart deployment/hub"),
        "{}",
        chart.notes()
    );

    let chart = Chart::render(
        &json!({ "config": { "existingConfigMap": "team-config", "key": "hub.yaml" } }),
    );
    let deployment = chart.object("Deployment", "hub");
    let volume = config_volume(deployment);
    assert_eq!(volume["configMap"]["name"], "team-config");
    assert_eq!(volume["configMap"]["items"][0]["key"], "hub.yaml");
    let gateway = container(deployment, "gateway");
    assert_eq!(
        env(gateway, "CONFIG_FILE_PATH")["value"],
        "/etc/hub/hub.yaml"
    );
    assert_valid_kubernetes(&chart, &KUBE_VERSIONS[..1]);
}

#[test]
fn two_config_sources_are_refused() {
    let chart =
        Chart::render(&json!({ "config": { "existingSecret": "a", "existingConfigMap": "b" } }));
    assert!(
        chart
            .render_error()
            .contains("at most one of config.existingConfigMap"),
        "{}",
        chart.render_error()
    );
}

#[test]
fn helm_lint_is_live_and_reports_a_template_that_cannot_execute() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("hub");
    copy_tree(&repo().join("deploy/helm/hub"), &chart);
    let broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  a: {{ .Values.nothing.here }}\n";
    std::fs::write(chart.join("templates/broken.yaml"), broken).unwrap();

    let linted = Chart::render_at(&chart, &json!({}), "v1.30.0");

    let failures = linted.lint_failures();
    assert!(
        failures
            .iter()
            .any(|failure| failure.to_string().contains("nil pointer evaluating")),
        "{failures:#?}"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("the copy is made");
    for entry in std::fs::read_dir(from).expect("the chart is readable") {
        let entry = entry.expect("a chart entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("the file is copied");
        }
    }
}

#[test]
fn the_validators_are_live_and_reject_a_wrong_field() {
    let chart = Chart::render(&json!({}));
    let mut pdb = chart.object("PodDisruptionBudget", "hub").clone();
    pdb["spec"]["maxUnavailabel"] = json!(1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pdb.yaml");
    std::fs::write(&file, pdb.to_string()).unwrap();
    let output = Command::new(&tools().kubernetes_validate)
        .args(["--strict", "--quiet", "--kubernetes-version", "1.30.0"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("maxUnavailabel"),
        "{output:?}"
    );

    let database = Chart::render(&database_values());
    let mut monitor = database.object("ServiceMonitor", "hub").clone();
    monitor["spec"]["endpoints"][0]["interval"] = json!("30 seconds");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/deploy/servicemonitor.py");
    let input = dir.path().join("monitor.json");
    std::fs::write(&input, json!([monitor]).to_string()).unwrap();
    let output = Command::new(&tools().python)
        .arg(script)
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("interval"),
        "{output:?}"
    );
}
