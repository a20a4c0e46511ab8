//! deploy/helm/hub through Helm's own Go SDK: `helm lint --strict` and `helm template` for each
//! mode, then every rendered manifest validated against Kubernetes' schemas in strict mode, and
//! the ServiceMonitor against the Prometheus Operator's CRD models. Nothing is installed in a
//! cluster: none runs here.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::tools::{repo, run, tools};

mod database_mode;
mod yaml_mode;

/// The oldest Kubernetes the chart supports with its defaults (the preStop `sleep` action is
/// on from 1.30), and the newest the schemas know.
const KUBE_VERSIONS: [&str; 2] = ["1.30.0", "1.37.0"];

/// What `helm_chart.py` reports for one set of values.
struct Chart {
    report: Value,
}

impl Chart {
    fn render(values: &Value) -> Chart {
        Chart::render_for(values, "v1.30.0")
    }

    fn render_for(values: &Value, kube_version: &str) -> Chart {
        Chart::render_at(&repo().join("deploy/helm/hub"), values, kube_version)
    }

    /// Lints and renders the chart in `dir` as release `hub` in namespace `llm`.
    fn render_at(dir: &Path, values: &Value, kube_version: &str) -> Chart {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/deploy/helm_chart.py");
        let output = run(
            Command::new(&tools().python).arg(script).arg(dir).args([
                "hub",
                "llm",
                kube_version,
                &values.to_string(),
            ]),
            "helm_chart.py",
        );
        Chart {
            report: serde_json::from_slice(&output.stdout).expect("helm_chart.py prints JSON"),
        }
    }

    /// Lint findings above INFO, which `helm lint --strict` fails on.
    fn lint_failures(&self) -> Vec<&Value> {
        let messages = self.report["lint"]
            .as_array()
            .expect("lint messages are a list")
            .iter();
        let errors = self.report["lint_errors"]
            .as_array()
            .expect("lint errors are a list")
            .iter();
        messages
            .filter(|message| message["severity"].as_u64().expect("a numeric severity") >= 2)
            .chain(errors)
            .collect()
    }

    fn render_error(&self) -> &str {
        self.report["render_error"].as_str().unwrap_or_default()
    }

    /// Every rendered Kubernetes object.
    fn objects(&self) -> Vec<&Value> {
        let manifests = self.report["manifests"]
            .as_object()
            .unwrap_or_else(|| panic!("the chart did not render: {}", self.render_error()));
        manifests
            .values()
            .flat_map(|docs| docs.as_array().expect("each template renders a list"))
            .collect()
    }

    fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self
            .objects()
            .iter()
            .map(|object| {
                format!(
                    "{}/{}",
                    object["kind"].as_str().expect("a kind"),
                    object["metadata"]["name"].as_str().expect("a name")
                )
            })
            .collect();
        kinds.sort();
        kinds
    }

    fn object(&self, kind: &str, name: &str) -> &Value {
        self.objects()
            .into_iter()
            .find(|object| object["kind"] == kind && object["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name} among {:?}", self.kinds()))
    }

    fn notes(&self) -> &str {
        self.report["notes"].as_str().unwrap_or_default()
    }
}

fn assert_lints_clean(chart: &Chart) {
    let failures = chart.lint_failures();
    assert!(failures.is_empty(), "helm lint --strict: {failures:#?}");
}

/// Validates every object but custom resources with `kubernetes-validate --strict`, which
/// rejects unknown fields, for each of `versions`.
fn assert_valid_kubernetes(chart: &Chart, versions: &[&str]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut files = Vec::new();
    for (index, object) in chart.objects().into_iter().enumerate() {
        if object["apiVersion"]
            .as_str()
            .expect("an apiVersion")
            .contains(".coreos.com/")
        {
            continue;
        }
        // JSON is YAML, which is what the validator reads.
        let file = dir.path().join(format!("{index:02}.yaml"));
        std::fs::write(&file, object.to_string()).expect("the manifest is written");
        files.push(file);
    }

    for version in versions {
        run(
            Command::new(&tools().kubernetes_validate)
                .args(["--strict", "--quiet", "--kubernetes-version", version])
                .args(&files),
            &format!("kubernetes-validate --strict against {version}"),
        );
    }
}

fn assert_valid_service_monitor(object: &Value) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/deploy/servicemonitor.py");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let input = dir.path().join("servicemonitors.json");
    std::fs::write(&input, json!([object]).to_string()).expect("the input is written");
    run(
        Command::new(&tools().python)
            .arg(script)
            .stdin(std::fs::File::open(&input).expect("the input is readable")),
        "servicemonitor.py",
    );
}

/// A container of a Deployment's or a Job's pod template.
fn container<'a>(workload: &'a Value, name: &str) -> &'a Value {
    workload["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("a pod template with containers")
        .iter()
        .find(|container| container["name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

fn env<'a>(container: &'a Value, name: &str) -> &'a Value {
    container["env"]
        .as_array()
        .expect("an env list")
        .iter()
        .find(|var| var["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {}", container["env"]))
}

fn config_volume(deployment: &Value) -> &Value {
    deployment["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .expect("a volume list")
        .iter()
        .find(|volume| volume["name"] == "config")
        .expect("a config volume")
}

fn database_values() -> Value {
    json!({
        "management": { "enabled": true, "existingSecret": "hub-keys" },
        "database": { "existingSecret": "hub-database" },
        "gateway": {
            "autoscaling": { "enabled": true, "targetMemoryUtilizationPercentage": 80 },
            "serviceMonitor": { "enabled": true, "labels": { "release": "prometheus" } }
        }
    })
}
