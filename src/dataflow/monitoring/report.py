"""The demo's monitoring step and its summary section.

``run_monitoring_step`` (one call in ``dataflow.demo``) starts the monitoring stack and the
Airflow api-server it reads, then runs ``monitoring_and_alerting`` once through Airflow.
``print_monitoring_summary`` (one call in ``dataflow.summary``) prints where everything is,
a few key values as Prometheus has them, and every alert that fired.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime

from dataflow.settings import Settings

MONITORING_DAG = "monitoring_and_alerting"


def run_monitoring_step(settings: Settings) -> bool:
    """Monitoring stack up, one run of the monitoring DAG; True when the run succeeded."""
    from dataflow.monitoring.services import print_monitoring_up
    from dataflow.runtime.airflow import start_airflow
    from dataflow.runtime.dagruns import DagRunError, trigger_run

    try:
        start_airflow(settings)  # the REST API the exporter and the DAG read (idempotent)
    except TimeoutError as exc:  # a slow machine: the API comes up later, monitoring goes on
        print(f"    Airflow api-server not up yet ({exc}); its checks will report it")
    print_monitoring_up(settings)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.monotonic()
    try:
        outcome = trigger_run(settings, MONITORING_DAG, now)
    except DagRunError as exc:
        print(f"    {MONITORING_DAG}: not run ({exc})")
        return False
    took = time.monotonic() - started
    print(f"    {MONITORING_DAG}: {outcome.state} in {took:.0f}s  (run {outcome.run_id})")
    if not outcome.ok:
        print(outcome.failure_report())
    wait_for_scrape(settings)
    return outcome.ok


def wait_for_scrape(settings: Settings, timeout: float = 90) -> None:
    """Wait until Prometheus has scraped the exporter and then evaluated every rule group.

    The summary reads recording rules (``suite:…``, ``layer_table:…``): a scrape alone is not
    enough, they exist only after the next evaluation.
    """
    deadline = time.monotonic() + timeout
    scraped_at = None
    while time.monotonic() < deadline:
        scraped = query(settings, 'timestamp(up{job="dataflow-exporter"} == 1)')
        scraped_at = scraped_at or (float(scraped[0]["value"][1]) if scraped else None)
        if scraped_at is not None and rules_evaluated_after(settings, scraped_at):
            return
        time.sleep(2)


def rules_evaluated_after(settings: Settings, moment: float) -> bool:
    """True when every rule group was last evaluated after ``moment`` (epoch seconds)."""
    groups = _api(settings, "/api/v1/rules", {}).get("groups", [])
    return bool(groups) and all(
        datetime.fromisoformat(g["lastEvaluation"]).timestamp() > moment for g in groups
    )


def query(settings: Settings, expr: str) -> list[dict]:
    """An instant query's result ([] when Prometheus is unreachable)."""
    return _api(settings, "/api/v1/query", {"query": expr}).get("result", [])


def _api(settings: Settings, path: str, params: dict) -> dict:
    """The ``data`` of a Prometheus API answer ({} when Prometheus is unreachable)."""
    url = f"{settings.prometheus_url}{path}?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.load(resp)["data"]
    except OSError:
        return {}


def _rows(result: list[dict], label: str, fmt) -> list[tuple[str, str]]:
    return sorted((r["metric"].get(label, "-"), fmt(float(r["value"][1]))) for r in result)


def _age(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def key_values(settings: Settings) -> list[tuple[str, tuple[str, str], list]]:
    """(title, headers, rows) of the values the summary shows, as Prometheus has them."""
    freshness = query(
        settings, 'layer_table:dataflow_table_last_success_age_seconds:max{layer="raw"}'
    )
    scores = query(settings, "suite:dataflow_quality_score_ratio:min")
    return [
        ("Freshness (Prometheus)", ("raw table", "last load"), _rows(freshness, "table", _age)),
        (
            "Quality score per suite",
            ("suite", "score"),
            _rows(scores, "suite", lambda v: f"{v:.1%}"),
        ),
        (
            "dbt tests by latest status",
            ("status", "tests"),
            _rows(query(settings, "dataflow_dbt_tests > 0"), "status", lambda v: f"{v:.0f}"),
        ),
        (
            "Alerts held open by the monitoring DAG",
            ("severity", "open"),
            _rows(query(settings, "dataflow_alerts_open"), "severity", lambda v: f"{v:.0f}"),
        ),
    ]


def fired_alerts(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(source, alert, severity, state) of Prometheus' firing alerts and the DAG's alerts."""
    import psycopg

    rows = [
        ("prometheus", _describe(r["metric"]), r["metric"].get("severity", ""), "firing")
        for r in query(settings, 'ALERTS{alertstate="firing"}')
    ]
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        for name, labels, severity, status in conn.execute(
            "select alertname, labels, severity, status from audit.alert_state "
            "order by status, alertname"
        ):
            rows.append(
                ("monitoring DAG", _describe({"alertname": name, **labels}), severity, status)
            )
    return rows


def _describe(labels: dict) -> str:
    skip = {"alertname", "alertstate", "severity", "component", "job", "instance", "origin"}
    extra = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in skip)
    return f"{labels.get('alertname')}{{{extra}}}" if extra else labels.get("alertname", "")


def print_monitoring_summary(settings: Settings) -> None:
    """The summary's monitoring section."""
    from dataflow.monitoring.services import running_services
    from dataflow.summary import print_table

    if running_services(settings).get("prometheus") is None:
        print("\nMonitoring: not running (`make up` starts Prometheus, Alertmanager, exporter)")
        return
    print(f"""
Monitoring
  Metrics exporter  {settings.exporter_url}/metrics
  Prometheus        {settings.prometheus_url}  (alerts: {settings.prometheus_url}/alerts)
  Alertmanager      {settings.alertmanager_url}
  Notifications     {settings.home / "monitoring" / "notifications"} (chat / on-call webhooks)
  Grafana           docker compose up grafana → http://localhost:3000 (monitoring/README.md)""")
    for title, headers, rows in key_values(settings):
        print_table(title, rows or [("-", "no data yet")], headers)
    alerts = fired_alerts(settings)
    print_table(
        "Alerts that fired (Prometheus now; the monitoring DAG's alert state)",
        alerts or [("-", "none", "-", "-")],
        ("source", "alert", "severity", "state"),
    )
