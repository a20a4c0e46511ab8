"""Lints and renders a Helm chart with Helm's own Go SDK (through helm-python-sdk), offline.

Usage: helm_chart.py CHART RELEASE NAMESPACE KUBE_VERSION VALUES_JSON

Prints one JSON object: the lint findings of `helm lint --strict` with those values, and either
the rendered manifests (each template's YAML documents, parsed) or the render error. Judging
them is left to the Rust test that runs this.
"""

import json
import sys

import helm_python as helm
import yaml


def main() -> None:
    chart_path, release, namespace, kube_version, values_json = sys.argv[1:]
    values = json.loads(values_json)

    report = helm.lint(chart_path, values, strict=True, namespace=namespace, kube_version=kube_version)
    result = {
        "lint": [
            {"severity": m["severity"], "path": m["path"], "error": m["error"]}
            for m in report.get("messages") or []
        ],
        "lint_errors": report.get("errors") or [],
    }

    try:
        with helm.Chart.load(chart_path) as chart:
            rendered = chart.render(values, name=release, namespace=namespace, is_install=True)
    except helm.HelmError as error:
        result["render_error"] = str(error)
    else:
        result["manifests"] = {
            path: [doc for doc in yaml.safe_load_all(text) if doc is not None]
            for path, text in sorted(rendered.items())
            if path.endswith(".yaml")
        }
        result["notes"] = "".join(t for p, t in rendered.items() if p.endswith("NOTES.txt"))

    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
