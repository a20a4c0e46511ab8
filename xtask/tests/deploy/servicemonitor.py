"""Checks ServiceMonitor documents against the Prometheus Operator's own CRD models.

Usage: servicemonitor.py < documents.json   (a JSON list of ServiceMonitor objects)

Kubernetes' schemas do not include custom resources, so each document is read into the typed
models generated from the monitoring.coreos.com/v1 CRD (cloudcoil's prometheus-operator
models), which check types and formats. Those models ignore unknown fields, so a document must
also come back unchanged when written out again: a misspelled field would be dropped and fail
the comparison. Exits 1 naming every problem.
"""

import json
import sys

from cloudcoil.models.prometheus_operator.v1 import ServiceMonitor


def check(document: dict) -> list[str]:
    try:
        model = ServiceMonitor.model_validate(document)
    except Exception as error:  # pydantic's ValidationError names each bad field
        return [str(error)]
    again = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    if again != document:
        return [f"fields the CRD does not have or types it reads differently:\n"
                f"  rendered: {json.dumps(document, sort_keys=True)}\n"
                f"  as read:  {json.dumps(again, sort_keys=True)}"]
    return []


def main() -> None:
    problems = [problem for document in json.load(sys.stdin) for problem in check(document)]
    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
