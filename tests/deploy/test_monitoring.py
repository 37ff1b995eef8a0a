"""deploy/k8s/monitoring: the alert rules and the Grafana dashboard for the event pipeline
(issue 13), validated offline: the kustomization builds, the PrometheusRule against the
Prometheus Operator's CRD (unknown fields refused), the ConfigMap against Kubernetes'
schemas; every series they use is one the workers expose (tests/plumbing/test_metrics.py
reads those from a real worker's /metrics), and every exposed series is watched."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import yaml

from tests.deploy import schemas
from tests.deploy.support import K8S, kustomize
from tests.plumbing.test_metrics import NAMES

MONITORING = K8S / "monitoring"
SERIES = re.compile(r"\bkasane_[a-z_]+\b")


def objects() -> list[dict[str, Any]]:
    done = kustomize(MONITORING)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def rules(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    [rule] = [o for o in objs if o["kind"] == "PrometheusRule"]
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def dashboard(objs: list[dict[str, Any]]) -> dict[str, Any]:
    [cm] = [o for o in objs if o["kind"] == "ConfigMap"]
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"  # what Grafana's sidecar loads
    return json.loads(cm["data"]["kasane-event-pipeline.json"])


def _balanced(expr: str) -> bool:
    depth = 0
    for ch in expr:
        depth += {"(": 1, ")": -1, "{": 1, "}": -1, "[": 1, "]": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def test_the_monitoring_pack_builds_and_validates() -> None:
    objs = objects()
    assert {o["kind"] for o in objs} == {"PrometheusRule", "ConfigMap"}
    assert [p for o in objs for p in schemas.validate(o)] == []


def test_the_validator_refuses_a_misspelt_rule() -> None:
    [rule] = [o for o in objects() if o["kind"] == "PrometheusRule"]
    broken = copy.deepcopy(rule)
    broken["spec"]["groups"][0]["rules"][0]["expresion"] = broken["spec"]["groups"][0]["rules"][0].pop("expr")
    assert schemas.validate(broken)


def test_every_alert_says_what_to_do() -> None:
    alerts = [r for r in rules(objects()) if "alert" in r]
    assert len(alerts) >= 10
    for alert in alerts:
        assert alert["labels"]["severity"] in ("warning", "critical"), alert["alert"]
        assert {"summary", "description", "runbook"} <= set(alert["annotations"]), alert["alert"]
        assert _balanced(alert["expr"]), alert["alert"]
    # each runbook anchor is a section of deploy/README.md
    readme = (K8S.parent / "README.md").read_text(encoding="utf-8").lower()
    for alert in alerts:
        anchor = alert["annotations"]["runbook"].split("#", 1)[1]
        assert f"### {anchor}" in readme.replace("`", ""), f"deploy/README.md has no section for {anchor}"


def test_the_rules_and_the_dashboard_use_only_series_the_workers_expose_and_watch_them_all() -> None:
    objs = objects()
    in_rules = {name for r in rules(objs) for name in SERIES.findall(r["expr"])}
    panels = dashboard(objs)["panels"]
    in_dashboard = {name for p in panels for t in p["targets"] for name in SERIES.findall(t["expr"])}
    exposed = set(NAMES)
    assert in_rules - exposed == set(), "rules name series no worker exposes"
    assert in_dashboard - exposed == set(), "the dashboard names series no worker exposes"
    assert exposed - in_dashboard == set(), "an exposed series has no panel"
    assert exposed - in_rules == set(), "an exposed series has no alert or recording rule"
    assert all(_balanced(t["expr"]) for p in panels for t in p["targets"])
    assert len({p["id"] for p in panels}) == len(panels)
