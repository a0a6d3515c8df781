"""Grafana dashboards and alert rules: complete, well-formed JSON that queries real metrics."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from dataflow.monitoring.rules import RULES_DIR, all_alerts
from dataflow.monitoring.thresholds import load_thresholds
from dataflow.settings import PROJECT_ROOT

GRAFANA = PROJECT_ROOT / "monitoring" / "grafana"
COLLECTORS = PROJECT_ROOT / "src" / "dataflow" / "monitoring" / "collectors.py"
# Metrics of platform parts that exist once built (dataflow.monitoring.exporter.component_sources)
COMPONENT_PREFIXES = ("dataflow_stream_", "dataflow_aws_job_")
EXTERNAL = re.compile(r"^(up|pg_up|node_memory_\w+)$")


def dashboards() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))]


def panels(dashboard: dict) -> list[dict]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def exported_metric_names() -> set[str]:
    source = COLLECTORS.read_text()
    gauges = re.findall(r'gauge\(\s*"([a-z_]+)"', source)
    counters = re.findall(r'counter\(\s*"([a-z_]+)"', source)
    states = re.findall(r'f"\{PREFIX\}_([a-z_]+)"', source)
    return {f"dataflow_{n}" for n in gauges + states} | {f"dataflow_{n}_total" for n in counters}


def recorded_names() -> set[str]:
    return {
        r["record"]
        for p in RULES_DIR.glob("*.yml")
        for g in yaml.safe_load(p.read_text())["groups"]
        for r in g["rules"]
        if "record" in r
    }


def metric_names(expr: str) -> set[str]:
    without_labels = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\b(by|without) \([^)]*\)", "", expr)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_labels))
    keywords = {"sum", "by", "max", "min", "time", "increase", "or", "absent", "and", "last"}
    return {w for w in words if w not in keywords and ("_" in w or w == "up")}


def test_every_dashboard_has_a_uid_title_tags_and_utc_time():
    uids = [d["uid"] for d in dashboards()]
    assert set(uids) == {
        "dataflow-pipeline-overview",
        "dataflow-freshness-quality",
        "dataflow-streaming",
        "dataflow-aws-jobs",
    }
    for d in dashboards():
        assert d["title"].startswith("DataFlow") and d["tags"] and d["timezone"] == "utc"


def test_every_panel_has_an_id_a_unit_and_a_prometheus_query():
    for d in dashboards():
        ids = [p["id"] for p in d["panels"]]
        assert len(ids) == len(set(ids)), d["uid"]
        for p in panels(d):
            assert p["title"] and p["gridPos"]["w"] > 0, p
            assert p["fieldConfig"]["defaults"].get("unit"), (d["uid"], p["title"])
            assert p["targets"], (d["uid"], p["title"])
            for target in p["targets"]:
                assert target["expr"] and target["refId"]
                assert target["datasource"]["uid"] == "dataflow-prometheus"


def test_overview_has_the_seed_panels():
    overview = next(d for d in dashboards() if d["uid"] == "dataflow-pipeline-overview")
    titles = " | ".join(p["title"] for p in panels(overview))
    for wanted in ("success rate", "quality score", "Processing volume", "Error rate"):
        assert wanted.lower() in titles.lower(), wanted
    gauge = next(p for p in panels(overview) if p["type"] == "gauge")
    steps = gauge["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps[-1]["value"] == load_thresholds().min_quality_score_ratio


def test_every_query_names_only_metrics_that_exist():
    known = exported_metric_names() | recorded_names()
    exprs = [t["expr"] for d in dashboards() for p in panels(d) for t in p["targets"]]
    exprs += [a.expr for a in all_alerts(load_thresholds())]
    for expr in exprs:
        for name in metric_names(expr):
            assert name in known or name.startswith(COMPONENT_PREFIXES) or EXTERNAL.match(name), (
                f"{name!r} in {expr!r} is neither exported, recorded, nor a known exporter's"
            )


def test_grafana_alert_rules_mirror_every_critical_prometheus_alert():
    provisioned = yaml.safe_load((GRAFANA / "provisioning/alerting/rules.yml").read_text())
    rules = {r["title"]: r for g in provisioned["groups"] for r in g["rules"]}
    critical = {a.name: a for a in all_alerts(load_thresholds()) if a.severity == "critical"}
    assert set(rules) == set(critical)
    for name, rule in rules.items():
        source, _, threshold = rule["data"]
        assert source["model"]["expr"] == critical[name].signal
        evaluator = threshold["model"]["conditions"][0]["evaluator"]
        assert (evaluator["type"], evaluator["params"][0]) == critical[name].threshold
        assert rule["labels"]["severity"] == "critical" and rule["for"] == critical[name].for_


def test_provisioning_points_grafana_at_prometheus_and_the_dashboards_folder():
    ds = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    assert ds["datasources"][0]["uid"] == "dataflow-prometheus"
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/dataflow.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    contact = yaml.safe_load((GRAFANA / "provisioning/alerting/contact-points.yml").read_text())
    assert contact["contactPoints"][0]["name"] == contact["policies"][0]["receiver"]


def test_compose_pins_grafana_to_the_sdk_version():
    pytest.importorskip("tomllib")
    import tomllib

    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text())
    sdk = next(p["version"] for p in lock["package"] if p["name"] == "grafana-foundation-sdk")
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    image = compose["services"]["grafana"]["image"]
    assert image.startswith("grafana/grafana:") and image.split(":")[1].startswith(
        ".".join(sdk.split("!")[1].split(".")[:2])
    ), (image, sdk)
