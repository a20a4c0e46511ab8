//! The chart in database mode: the migration hook, hub-admin, gateways on PostgreSQL, and the
//! optional autoscaler and ServiceMonitor.

use serde_json::json;

use super::{
    Chart, KUBE_VERSIONS, assert_lints_clean, assert_valid_kubernetes,
    assert_valid_service_monitor, container, database_values, env,
};

#[test]
fn database_mode_lints_clean_and_renders_valid_kubernetes() {
    let chart = Chart::render(&database_values());
    assert_lints_clean(&chart);
    assert_eq!(
        chart.kinds(),
        [
            "Deployment/hub",
            "Deployment/hub-admin",
            "HorizontalPodAutoscaler/hub",
            "Job/hub-migrate",
            "PodDisruptionBudget/hub",
            "Service/hub",
            "Service/hub-admin",
            "ServiceAccount/hub",
            "ServiceMonitor/hub"
        ]
    );
    assert_valid_kubernetes(&chart, &KUBE_VERSIONS);
    assert_valid_service_monitor(chart.object("ServiceMonitor", "hub"));
}

#[test]
fn database_mode_migrates_in_a_hook_before_install_and_upgrade() {
    let chart = Chart::render(&database_values());
    let job = chart.object("Job", "hub-migrate");
    let hooks = &job["metadata"]["annotations"];
    assert_eq!(hooks["helm.sh/hook"], "pre-install,pre-upgrade");

    let migrate = container(job, "migrate");
    assert_eq!(
        migrate["command"],
        json!(["/usr/local/bin/hub-admin", "migrate"])
    );
    let url = &env(migrate, "DATABASE_URL")["valueFrom"]["secretKeyRef"];
    assert_eq!(
        url,
        &json!({ "name": "hub-database", "key": "DATABASE_URL" })
    );
    assert_eq!(job["spec"]["template"]["spec"]["restartPolicy"], "Never");
}

#[test]
fn database_mode_wires_hub_admin_and_gateways_to_the_existing_secrets() {
    let chart = Chart::render(&database_values());

    let admin = container(chart.object("Deployment", "hub-admin"), "admin");
    assert_eq!(admin["command"], json!(["/usr/local/bin/hub-admin"]));
    assert_eq!(env(admin, "MANAGEMENT_PORT")["value"], "8080");
    assert_eq!(admin["readinessProbe"]["httpGet"]["path"], "/health");
    let token = &env(admin, "HUB_ADMIN_TOKEN")["valueFrom"]["secretKeyRef"];
    assert_eq!(
        token,
        &json!({ "name": "hub-keys", "key": "HUB_ADMIN_TOKEN" })
    );

    let deployment = chart.object("Deployment", "hub");
    assert!(
        deployment["spec"].get("replicas").is_none(),
        "the autoscaler owns replicas"
    );
    let gateway = container(deployment, "gateway");
    assert_eq!(env(gateway, "HUB_MODE")["value"], "database");
    assert_eq!(env(gateway, "DB_POLL_INTERVAL_SECONDS")["value"], "5");
    let key = &env(gateway, "HUB_SECRET_KEY")["valueFrom"]["secretKeyRef"];
    assert_eq!(key, &json!({ "name": "hub-keys", "key": "HUB_SECRET_KEY" }));
    let url = &env(gateway, "DATABASE_URL")["valueFrom"]["secretKeyRef"];
    assert_eq!(
        url,
        &json!({ "name": "hub-database", "key": "DATABASE_URL" })
    );
    let volumes = deployment["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    assert!(volumes.iter().all(|volume| volume["name"] != "config"));

    let hpa = chart.object("HorizontalPodAutoscaler", "hub");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], "hub");
    assert_eq!(hpa["spec"]["metrics"].as_array().unwrap().len(), 2);
    let monitor = chart.object("ServiceMonitor", "hub");
    assert_eq!(monitor["metadata"]["labels"]["release"], "prometheus");
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], "http");
}

#[test]
fn database_mode_without_its_secrets_is_refused_by_name() {
    let chart = Chart::render(&json!({ "management": { "enabled": true } }));
    assert!(
        chart
            .render_error()
            .contains("needs database.existingSecret"),
        "{}",
        chart.render_error()
    );
    // Helm lints in "lint mode", where `fail` only logs: the refusal shows when rendering.

    let chart = Chart::render(&json!({
        "management": { "enabled": true },
        "database": { "existingSecret": "hub-database" }
    }));
    assert!(
        chart
            .render_error()
            .contains("needs management.existingSecret"),
        "{}",
        chart.render_error()
    );
}

#[test]
fn the_oldest_supported_kubernetes_takes_the_chart_without_the_prestop_sleep() {
    let mut values = database_values();
    values["gateway"]["preStopSleepSeconds"] = json!(0);
    values["gateway"]["serviceMonitor"]["enabled"] = json!(false);
    let chart = Chart::render_for(&values, "v1.25.0");
    assert_lints_clean(&chart);
    let gateway = container(chart.object("Deployment", "hub"), "gateway");
    assert!(gateway.get("lifecycle").is_none());
    assert_valid_kubernetes(&chart, &["1.25.0"]);
}
