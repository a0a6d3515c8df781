"""Generated Alertmanager/Prometheus configuration: routing, grouping, inhibition, validity."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from dataflow.monitoring import config
from dataflow.monitoring.rules import render_yaml

AMTOOL = shutil.which("amtool")
PROMTOOL = shutil.which("promtool")
RECEIVERS = config.Receivers(
    sns=config.SnsTarget(
        "arn:aws:sns:us-east-1:123456789012:alerts", "us-east-1", "http://moto:5000", "k", "s"
    ),
    oncall_url="http://sink/hooks/oncall",
    chat_url="http://sink/hooks/chat",
)


def route_for(labels: dict) -> str:
    """The receiver Alertmanager's first matching child route picks (all matchers are `=`)."""
    route = config.alertmanager_config(RECEIVERS)["route"]
    for child in route["routes"]:
        wanted = dict(m.replace('"', "").split("=", 1) for m in child["matchers"])
        if all(labels.get(k) == v for k, v in wanted.items()):
            return child["receiver"]
    return route["receiver"]


def receiver(name: str) -> dict:
    return next(r for r in config.alertmanager_config(RECEIVERS)["receivers"] if r["name"] == name)


def test_critical_alerts_page_on_call_through_sns_and_the_oncall_webhook():
    assert route_for({"alertname": "DataFreshnessSLABreached", "severity": "critical"}) == "oncall"
    oncall = receiver("oncall")
    assert oncall["sns_configs"][0]["topic_arn"] == RECEIVERS.sns.topic_arn
    assert oncall["sns_configs"][0]["api_url"] == "http://moto:5000"
    assert oncall["webhook_configs"][0]["url"] == "http://sink/hooks/oncall"
    assert oncall["sns_configs"][0]["send_resolved"] is True


def test_warnings_go_to_the_chat_webhook():
    assert route_for({"alertname": "QuarantineRateHigh", "severity": "warning"}) == "chat"
    assert receiver("chat")["slack_configs"][0]["api_url"] == "http://sink/hooks/chat"


def test_alerts_the_dag_already_notified_are_recorded_without_paging_again():
    labels = {
        "alertname": "DataFreshnessSLABreached",
        "severity": "critical",
        "origin": config.DAG_ORIGIN,
    }
    assert route_for(labels) == "record-only"
    assert "sns_configs" not in receiver("record-only")


def test_real_aws_sns_has_no_endpoint_and_no_static_keys():
    aws = config.Receivers(
        sns=config.SnsTarget("arn:aws:sns:eu-west-1:1:alerts", "eu-west-1"),
        oncall_url="u",
        chat_url="c",
    )
    sns = next(r for r in config.alertmanager_config(aws)["receivers"] if r["name"] == "oncall")
    assert "api_url" not in sns["sns_configs"][0]
    assert sns["sns_configs"][0]["sigv4"] == {"region": "eu-west-1"}


def test_a_database_outage_inhibits_the_freshness_alerts_it_causes():
    rules = config.alertmanager_config(RECEIVERS)["inhibit_rules"]
    db = next(r for r in rules if r["source_matchers"] == ['alertname="DatabaseConnectionFailure"'])
    assert "DataFreshnessSLABreached" in db["target_matchers"][0]


def test_alerts_are_grouped_by_name_and_component():
    assert config.alertmanager_config(RECEIVERS)["route"]["group_by"] == ["alertname", "component"]


@pytest.mark.skipif(AMTOOL is None, reason="amtool (prometheus-alertmanager) not installed")
def test_amtool_accepts_the_generated_alertmanager_config(tmp_path):
    path = tmp_path / "alertmanager.yml"
    path.write_text(render_yaml(config.alertmanager_config(RECEIVERS), ""))
    proc = subprocess.run([AMTOOL, "check-config", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(PROMTOOL is None, reason="promtool (prometheus) not installed")
def test_promtool_accepts_the_generated_prometheus_config(tmp_path):
    targets = config.Targets("e:1", "p:2", "a:3", None, "pg:4", str(tmp_path / "rules/*.yml"))
    path = tmp_path / "prometheus.yml"
    path.write_text(render_yaml(config.prometheus_config(targets, "15s"), ""))
    proc = subprocess.run([PROMTOOL, "check", "config", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    jobs = [j["job_name"] for j in yaml.safe_load(path.read_text())["scrape_configs"]]
    assert jobs == ["dataflow-exporter", "prometheus", "alertmanager", "postgres-exporter"]
