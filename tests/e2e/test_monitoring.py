"""Monitoring end to end: a real pipeline run, the exporter, Prometheus, Alertmanager, and the
``monitoring_and_alerting`` DAG through Airflow (``airflow dags test``, real task execution).

One production run of generated data; the Airflow api-server (the REST API the tasks and the
exporter read); the monitoring stack of the runtime (Prometheus, Alertmanager, exporters, the
local webhook sink) with 5 s scrape/evaluation intervals and every ``for:`` at 0 s so alerts
fire within seconds. Then one table goes stale: the DAG opens one alert (one SNS message on an
SQS subscription, not one per run), Prometheus fires its freshness alert and Alertmanager
delivers it to the on-call webhook; the table is loaded again and the DAG sends one
resolution. Finally every dashboard panel and alert query is evaluated by that Prometheus.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from dataflow.monitoring.config import DAG_ORIGIN

pytestmark = pytest.mark.e2e
PIPELINE = "production_data_pipeline"
MONITORING = "monitoring_and_alerting"
COMPONENT_PREFIXES = ("dataflow_stream_", "dataflow_aws_job_")  # parts not built yet


def tail(path, lines=60):
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def explain(outcome):
    failed = [t for t in outcome.failed_tasks if t.state != "upstream_failed"]
    return outcome.failure_report() + "".join(f"\n{tail(t.log_path)}" for t in failed[:1])


def run_monitoring_dag(settings):
    """One run of the monitoring DAG now, through the scheduler."""
    from dataflow.runtime.dagruns import trigger_run

    outcome = trigger_run(settings, MONITORING, datetime.now(UTC).replace(microsecond=0))
    assert outcome.ok, explain(outcome)
    return outcome


def wait_for(predicate, timeout: float, what: str, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def prometheus_query(settings, expr: str) -> dict:
    url = f"{settings.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.load(resp)


# --- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pipeline_run(settings, airflow_services):
    """Empty warehouse, small generated data, one production run of its backfill hour."""
    import psycopg

    from dataflow.generate import GenerationConfig, generate_landing_data
    from dataflow.runtime.dagruns import run_intervals

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        conn.execute(
            "truncate raw.customers, raw.products, raw.transactions, raw.events, "
            "audit.load_audit, audit.quarantine, audit.validation_results, "
            "audit.dbt_node_results, audit.pipeline_stage_metrics, audit.source_freshness, "
            "audit.alert_state, audit.alert_notifications"
        )
        for schema in ("staging", "intermediate", "marts", "snapshots"):
            conn.execute(f"drop schema if exists {schema} cascade")
            conn.execute(f"create schema {schema}")
    config = GenerationConfig.for_scale("small", increment_hours=0)
    manifest = generate_landing_data(settings, config, progress=False)
    hour = manifest.hours[0]
    (outcome,) = run_intervals(settings, PIPELINE, [hour], fresh=True)
    assert outcome.ok, explain(outcome)
    return {"hour": hour, "outcome": outcome}


@pytest.fixture(scope="module")
def stack(settings, pipeline_run):
    """The runtime's monitoring stack with fast intervals; stopped if this module started it."""
    from dataflow.monitoring.services import start_monitoring, stop_monitoring

    fast = replace(settings, scrape_interval="5s", alert_for_override="0s", alert_group_wait="1s")
    started = start_monitoring(fast)
    yield fast
    if started:
        stop_monitoring(settings)


@pytest.fixture(scope="module")
def oncall_queue(settings):
    """An SQS queue subscribed (raw delivery) to the alerts topic; each call returns every
    body received so far."""
    from tests.alerts_support import alerts_topic_queue

    received: list[str] = []
    with alerts_topic_queue(settings, "e2e-oncall") as receive:

        def drain() -> list[str]:
            received.extend(receive())
            return received

        yield drain


def dag_messages(bodies: list[str], table: str) -> list[dict]:
    """The monitoring DAG's messages (JSON bodies) about raw.<table>."""
    out = []
    for body in bodies:
        try:
            message = json.loads(body)
        except ValueError:
            continue  # Alertmanager's text notifications
        if message.get("origin") == DAG_ORIGIN and message["labels"].get("table") == table:
            out.append(message)
    return out


@pytest.fixture(scope="module")
def stale_customers(settings, stack, oncall_queue):
    """raw.customers has not loaded for 10 hours; the DAG's first run after that."""
    import psycopg

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        conn.execute(
            "update audit.load_audit set finished_at = finished_at - interval '10 hours' "
            "where source = 'customers'"
        )
        conn.execute("update raw.customers set _loaded_at = _loaded_at - interval '10 hours'")
    run_monitoring_dag(settings)
    return dag_messages(oncall_queue(), "customers")


@pytest.fixture(scope="module")
def second_run(settings, stale_customers, oncall_queue):
    run_monitoring_dag(settings)
    return dag_messages(oncall_queue(), "customers")


@pytest.fixture(scope="module")
def refreshed_run(settings, second_run, pipeline_run, oncall_queue):
    """The customers file loaded again by the real loader, then the DAG's next run."""
    from dataflow.ingest import load_interval

    hour = pipeline_run["hour"]
    load_interval(settings, "customers", hour, hour + timedelta(hours=1), run_id="e2e_refresh")
    run_monitoring_dag(settings)
    return dag_messages(oncall_queue(), "customers")


# --- the pipeline run and the exporter ---------------------------------------------------------
def test_the_summary_waits_for_a_rule_evaluation_after_the_scrape(stack, warehouse):
    """The summary reads recording rules, which a scrape alone does not fill: it waits until
    every rule group was evaluated after the exporter's scrape."""
    from dataflow.monitoring.report import key_values, rules_evaluated_after, wait_for_scrape

    now = time.time()
    assert not rules_evaluated_after(stack, now)  # every group ran before this instant
    wait_for(lambda: rules_evaluated_after(stack, now), 30, "every rule group evaluated again")
    assert not rules_evaluated_after(stack, time.time() + 3600)

    wait_for_scrape(stack)

    validated = {
        s for (s,) in warehouse.execute("select distinct suite from audit.validation_results")
    }
    tables = {title: rows for title, _, rows in key_values(stack)}
    assert validated and {suite for suite, _ in tables["Quality score per suite"]} == validated
    assert tables["Freshness (Prometheus)"]


def test_prometheus_scrapes_the_exporter_and_the_other_targets(stack):
    def targets_up():
        with urllib.request.urlopen(f"{stack.prometheus_url}/api/v1/targets", timeout=10) as r:
            active = json.load(r)["data"]["activeTargets"]
        health = {t["labels"]["job"]: (t["health"], t["lastError"]) for t in active}
        last_seen.update(health)
        return health if {h for h, _ in health.values()} == {"up"} else None

    last_seen: dict = {}
    try:
        health = wait_for(targets_up, 90, "every scrape target up")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {last_seen}") from None
    assert {"dataflow-exporter", "prometheus", "alertmanager"} <= set(health)


def test_the_run_recorded_rows_per_stage_and_their_wall_time(settings, stack, warehouse):
    from dataflow.monitoring.airflow_api import AirflowApi

    stages = dict(
        warehouse.execute(
            "select stage, rows from audit.pipeline_stage_metrics where dag_id = %s", (PIPELINE,)
        ).fetchall()
    )
    loaded = warehouse.execute("select sum(rows_loaded) from audit.load_audit").fetchone()[0]
    assert stages["data_ingestion"] == loaded
    assert stages["transformations"] > 0
    run = AirflowApi(settings).last_success(PIPELINE)
    tis = AirflowApi(settings).task_instances(PIPELINE, run.run_id)
    ingestion = [t for t in tis if t.task_id.startswith("data_ingestion.")]
    expected = max(t.end_date for t in ingestion) - min(t.start_date for t in ingestion)
    duration = warehouse.execute(
        "select duration_seconds from audit.pipeline_stage_metrics "
        "where stage = 'data_ingestion' and run_id = %s",
        (run.run_id,),
    ).fetchone()[0]
    assert duration == pytest.approx(expected.total_seconds(), abs=0.01)


def test_exporter_values_agree_with_the_warehouse_and_the_airflow_api(settings, stack, warehouse):
    from dataflow.monitoring.airflow_api import AirflowApi

    def value(expr):
        result = prometheus_query(stack, expr)["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    wait_for(lambda: value("dataflow_pipeline_stage_rows") is not None, 30, "stage rows scraped")
    tests = warehouse.execute(
        "select count(*) from audit.dbt_node_results where resource_type = 'test' "
        "and last_status = 'pass'"
    ).fetchone()[0]
    assert tests > 0 and value('dataflow_dbt_tests{status="pass"}') == tests
    counts = AirflowApi(settings).dag_run_counts()[PIPELINE]
    assert (
        value(f'dataflow_dag_runs_total{{dag_id="{PIPELINE}",state="success"}}')
        == counts["success"]
    )
    quarantined = warehouse.execute(
        "select sum(rows_quarantined) from audit.load_audit where source = 'transactions'"
    ).fetchone()[0]
    assert value('dataflow_rows_quarantined_total{source="transactions"}') == quarantined
    built = value(
        'dataflow_table_last_success_timestamp_seconds{layer="marts",table="customer_360"}'
    )
    assert built is not None and time.time() - built < 3600


# --- the alerting DAG through Airflow ----------------------------------------------------------
def test_stale_data_opens_one_alert_and_its_message_reaches_sqs(stale_customers):
    assert [m["status"] for m in stale_customers] == ["firing"]
    message = stale_customers[0]
    assert (message["alertname"], message["severity"]) == ("DataFreshnessSLABreached", "critical")
    assert message["runbook_url"].endswith("#datafreshnessslabreached")


def test_the_next_run_with_the_data_still_stale_sends_nothing_more(second_run):
    assert [m["status"] for m in second_run] == ["firing"]  # still only the first message


def test_refreshed_data_sends_one_resolution_notice(refreshed_run, warehouse):
    assert [m["status"] for m in refreshed_run] == ["firing", "resolved"]
    state = warehouse.execute(
        "select status, notifications from audit.alert_state "
        "where alertname = 'DataFreshnessSLABreached' and labels->>'table' = 'customers'"
    ).fetchall()
    assert state == [("resolved", 2)]


# --- Prometheus and Alertmanager ---------------------------------------------------------------
def test_prometheus_fired_the_freshness_alert_and_alertmanager_paged_the_oncall_webhook(
    settings, stack, stale_customers, oncall_queue
):
    from dataflow.monitoring.sink import notifications_dir, read_channel

    def paged():
        for entry in read_channel(notifications_dir(settings.home), "oncall"):
            for alert in entry["payload"].get("alerts", []):
                labels = alert["labels"]
                if (labels.get("alertname"), labels.get("table")) == (
                    "DataFreshnessSLABreached",
                    "customers",
                ) and labels.get("origin") != DAG_ORIGIN:
                    return alert
        return None

    alert = wait_for(paged, 60, "Alertmanager's on-call webhook notification")
    assert alert["labels"]["severity"] == "critical"
    assert alert["annotations"]["runbook_url"].endswith("#datafreshnessslabreached")
    assert any("[FIRING] DataFreshnessSLABreached" in b for b in oncall_queue()), (
        "Alertmanager's native SNS receiver should have published to the alerts topic too"
    )


def dashboard_queries(root) -> list[tuple[str, str]]:
    queries = []
    for path in sorted((root / "monitoring" / "grafana" / "dashboards").glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                queries.append((f"{board['uid']} / {panel['title']}", target["expr"]))
    return queries


def alert_queries(root) -> list[tuple[str, str]]:
    queries = []
    for path in sorted((root / "monitoring" / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    queries.append((f"alert {rule['alert']}", rule["expr"]))
    return queries


def test_every_dashboard_panel_and_alert_signal_returns_data(settings, stack, refreshed_run):
    from dataflow.monitoring.rules import all_alerts
    from dataflow.monitoring.thresholds import load_thresholds

    signals = [(f"signal of {a.name}", a.signal) for a in all_alerts(load_thresholds())]
    grafana = [
        (f"grafana rule {a.name}", a.signal)
        for a in all_alerts(load_thresholds())
        if a.severity == "critical"
    ]
    empty, waiting_for_components = [], []
    for where, expr in dashboard_queries(settings.project_root) + signals + grafana:
        response = prometheus_query(stack, expr)
        assert response["status"] == "success", (where, expr, response)
        if response["data"]["result"]:
            continue
        if any(prefix in expr for prefix in COMPONENT_PREFIXES):
            waiting_for_components.append(where)
        else:
            empty.append((where, expr))
    assert not empty, f"queries without data after a real run: {empty}"
    # The streaming and AWS-job parts are not built yet: their metrics are absent, not faked.
    print(f"no data yet (parts not built): {waiting_for_components}")


def test_every_alert_expression_evaluates_without_error(settings, stack):
    for where, expr in alert_queries(settings.project_root):
        assert prometheus_query(stack, expr)["status"] == "success", where


def test_up_twice_is_harmless_and_down_stops_what_it_started(settings, stack):
    from dataflow.monitoring.services import running_services, start_monitoring, stop_monitoring
    from dataflow.runtime import processes

    before = running_services(settings)
    assert start_monitoring(stack) == []  # all running: reloaded, nothing spawned
    assert running_services(settings) == before
    stopped = stop_monitoring(settings)
    assert set(stopped) == {name for name, pid in before.items() if pid is not None}
    assert not any(processes.pid_alive(pid) for pid in before.values() if pid)
    assert not processes.port_open(settings.prometheus_port)
