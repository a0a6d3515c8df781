"""Grafana 11.6 dashboards, datasource, alert rules and contact points, generated as code.

Built with grafana-foundation-sdk (``1769699379!11.6.0``, a dev dependency: only
``dataflow monitoring render`` imports this module) into ``monitoring/grafana/``, which the
docker-compose Grafana (pinned to 11.6) provisions. One small function per panel; thresholds
from ``monitoring/thresholds.yml``; explicit uids and units. Grafana-managed alert rules mirror
the critical Prometheus alerts (query → last value → threshold).
"""

from __future__ import annotations

import json
from pathlib import Path

from grafana_foundation_sdk.builders import alerting as al
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import expr as ex
from grafana_foundation_sdk.builders import gauge, stat, table, timeseries
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as dm

from dataflow.monitoring.rules import PIPELINE_DAG, all_alerts, render_yaml, runbook_url
from dataflow.monitoring.thresholds import Thresholds
from dataflow.settings import PROJECT_ROOT

GRAFANA_DIR = PROJECT_ROOT / "monitoring" / "grafana"
DATASOURCE_UID = "dataflow-prometheus"
DATASOURCE = dm.DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
FOLDER_UID = "dataflow"
GREEN, AMBER, RED = "green", "orange", "red"


# --- building blocks ---------------------------------------------------------------------------
def query(expr: str, legend: str = "", instant: bool = False) -> prom.Dataquery:
    q = (
        prom.Dataquery()
        .expr(expr)
        .ref_id("A")
        .datasource(DATASOURCE)
        .legend_format(legend or "__auto")
    )
    return q.instant() if instant else q.range()


def steps(*pairs: tuple[float | None, str]) -> db.ThresholdsConfig:
    return (
        db.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=v, color=c) for v, c in pairs])
    )


def row(title: str) -> db.Row:
    return db.Row(title)


# --- pipeline overview -------------------------------------------------------------------------
def success_rate_panel(t: Thresholds) -> stat.Panel:
    window = f"{t.failure_window_hours}h"
    return (
        stat.Panel()
        .title(f"Pipeline success rate ({window})")
        .description("Successful ÷ finished runs of production_data_pipeline over the window.")
        .with_target(
            query(
                f"1 - dag_id:dataflow_dag_run_failures_per_runs:ratio_increase{window}"
                f'{{dag_id="{PIPELINE_DAG}"}}',
                "success rate",
                instant=True,
            )
        )
        .unit("percentunit")
        .min(0)
        .max(1)
        .thresholds(steps((None, RED), (1 - t.max_failure_ratio, GREEN)))
        .span(6)
        .height(6)
    )


def quality_score_gauge(t: Thresholds) -> gauge.Panel:
    return (
        gauge.Panel()
        .title("Data-quality score (worst suite)")
        .description("Mean pass ratio of the latest validation's row-level expectations.")
        .with_target(query("min(suite:dataflow_quality_score_ratio:min)", "score", instant=True))
        .unit("percentunit")
        .min(0)
        .max(1)
        .thresholds(steps((None, RED), (t.min_quality_score_ratio, GREEN)))
        .span(6)
        .height(6)
    )


def last_success_age_panel(t: Thresholds) -> stat.Panel:
    return (
        stat.Panel()
        .title("Since the last successful run")
        .with_target(
            query(
                f'time() - dataflow_dag_last_success_timestamp_seconds{{dag_id="{PIPELINE_DAG}"}}',
                "age",
                instant=True,
            )
        )
        .unit("s")
        .thresholds(steps((None, GREEN), (float(t.freshness_max_age_seconds), RED)))
        .span(6)
        .height(6)
    )


def open_alerts_panel() -> stat.Panel:
    return (
        stat.Panel()
        .title("Open alerts (monitoring DAG)")
        .with_target(query("sum by (severity) (dataflow_alerts_open)", "{{severity}}", True))
        .unit("short")
        .thresholds(steps((None, GREEN), (1.0, RED)))
        .span(6)
        .height(6)
    )


def processing_volume_panel() -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title("Processing volume: rows per stage of the latest run")
        .with_target(query("dataflow_pipeline_stage_rows", "{{stage}}"))
        .unit("short")
        .span(12)
        .height(8)
    )


def error_rate_panel(t: Thresholds) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title("Error rate: quarantined ÷ received rows (newest landing hour)")
        .with_target(query("dataflow_source_quarantined_ratio", "{{source}}"))
        .unit("percentunit")
        .min(0)
        .thresholds(steps((None, GREEN), (t.max_quarantine_ratio, RED)))
        .span(12)
        .height(8)
    )


def stage_duration_panel(t: Thresholds) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title("Stage wall time of the latest run")
        .with_target(query("dataflow_pipeline_stage_duration_seconds", "{{stage}}"))
        .unit("s")
        .thresholds(steps((None, GREEN), (float(t.max_run_duration_seconds), RED)))
        .span(12)
        .height(8)
    )


def dag_runs_panel() -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title("Finished DAG runs per hour by state")
        .with_target(
            query(
                "sum by (dag_id, state) (increase(dataflow_dag_runs_total[1h]))",
                "{{dag_id}} {{state}}",
            )
        )
        .unit("short")
        .span(12)
        .height(8)
    )


def pipeline_overview(t: Thresholds) -> db.Dashboard:
    return (
        db.Dashboard("DataFlow pipeline overview")
        .uid("dataflow-pipeline-overview")
        .tags(["dataflow"])
        .refresh("1m")
        .time("now-24h", "now")
        .timezone("utc")
        .with_row(row("Health"))
        .with_panel(success_rate_panel(t))
        .with_panel(quality_score_gauge(t))
        .with_panel(last_success_age_panel(t))
        .with_panel(open_alerts_panel())
        .with_row(row("Volume and errors"))
        .with_panel(processing_volume_panel())
        .with_panel(error_rate_panel(t))
        .with_row(row("Runs"))
        .with_panel(stage_duration_panel(t))
        .with_panel(dag_runs_panel())
    )


# --- freshness and quality ---------------------------------------------------------------------
def table_age_panel(t: Thresholds) -> table.Panel:
    return (
        table.Panel()
        .title("Age of the last successful load/build per table")
        .with_target(
            query(
                "layer_table:dataflow_table_last_success_age_seconds:max",
                "{{layer}}.{{table}}",
                True,
            )
        )
        .unit("s")
        .thresholds(steps((None, GREEN), (float(t.freshness_max_age_seconds), RED)))
        .span(12)
        .height(10)
    )


def newest_data_panel() -> table.Panel:
    return (
        table.Panel()
        .title("Newest data interval per table")
        .with_target(
            query(
                "dataflow_table_newest_data_timestamp_seconds * 1000", "{{layer}}.{{table}}", True
            )
        )
        .unit("dateTimeAsIso")
        .span(12)
        .height(10)
    )


def table_rows_panel() -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title("Rows per table")
        .with_target(query("dataflow_table_rows", "{{layer}}.{{table}}"))
        .unit("short")
        .span(12)
        .height(8)
    )


def suite_score_panel(t: Thresholds) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title("Quality score per suite")
        .with_target(query("suite:dataflow_quality_score_ratio:min", "{{suite}}"))
        .unit("percentunit")
        .max(1)
        .thresholds(steps((None, RED), (t.min_quality_score_ratio, GREEN)))
        .span(12)
        .height(8)
    )


def failed_expectations_panel() -> table.Panel:
    return (
        table.Panel()
        .title("Expectations of the latest validation by suite, severity and outcome")
        .with_target(
            query("dataflow_quality_expectations", "{{suite}} {{severity}} {{outcome}}", True)
        )
        .unit("short")
        .span(12)
        .height(8)
    )


def dbt_tests_panel() -> stat.Panel:
    return (
        stat.Panel()
        .title("dbt tests by latest status")
        .with_target(query("dataflow_dbt_tests", "{{status}}", True))
        .unit("short")
        .span(12)
        .height(6)
    )


def dbt_source_freshness_panel() -> table.Panel:
    return (
        table.Panel()
        .title("dbt source freshness (last check)")
        .unit("none")
        .with_target(
            query(
                "dataflow_dbt_source_freshness_status == 1",
                "{{source}} {{dataflow_dbt_source_freshness_status}}",
                True,
            )
        )
        .span(12)
        .height(6)
    )


def freshness_quality(t: Thresholds) -> db.Dashboard:
    return (
        db.Dashboard("DataFlow freshness and quality")
        .uid("dataflow-freshness-quality")
        .tags(["dataflow"])
        .refresh("1m")
        .time("now-24h", "now")
        .timezone("utc")
        .with_row(row("Freshness per table"))
        .with_panel(table_age_panel(t))
        .with_panel(newest_data_panel())
        .with_panel(table_rows_panel())
        .with_row(row("Quality per suite"))
        .with_panel(suite_score_panel(t))
        .with_panel(failed_expectations_panel())
        .with_row(row("dbt"))
        .with_panel(dbt_tests_panel())
        .with_panel(dbt_source_freshness_panel())
    )


# --- streaming and AWS jobs (their metrics exist once those parts do) ---------------------------
def consumer_lag_panel(t: Thresholds) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title("Stream consumer lag")
        .with_target(query("max by (stream) (dataflow_stream_consumer_lag_seconds)", "{{stream}}"))
        .unit("s")
        .thresholds(steps((None, GREEN), (float(t.max_consumer_lag_seconds), RED)))
        .span(12)
        .height(8)
    )


def dead_letters_panel() -> stat.Panel:
    return (
        stat.Panel()
        .title("Dead-lettered records")
        .with_target(
            query("sum by (queue) (dataflow_stream_dead_letter_messages)", "{{queue}}", True)
        )
        .unit("short")
        .thresholds(steps((None, GREEN), (1.0, RED)))
        .span(12)
        .height(8)
    )


def streaming(t: Thresholds) -> db.Dashboard:
    return (
        db.Dashboard("DataFlow streaming")
        .uid("dataflow-streaming")
        .tags(["dataflow", "streaming"])
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("utc")
        .with_panel(consumer_lag_panel(t))
        .with_panel(dead_letters_panel())
    )


def job_age_panel(t: Thresholds) -> table.Panel:
    return (
        table.Panel()
        .title("Since each job's last success")
        .with_target(
            query(
                "time() - max by (job) (dataflow_aws_job_last_success_timestamp_seconds)",
                "{{job}}",
                True,
            )
        )
        .unit("s")
        .thresholds(steps((None, GREEN), (float(t.max_job_age_seconds), RED)))
        .span(12)
        .height(8)
    )


def job_duration_panel() -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title("Job run duration")
        .with_target(query("max by (job) (dataflow_aws_job_last_run_duration_seconds)", "{{job}}"))
        .unit("s")
        .span(12)
        .height(8)
    )


def job_failed_panel() -> stat.Panel:
    return (
        stat.Panel()
        .title("Latest run failed")
        .with_target(query("max by (job) (dataflow_aws_job_last_run_failed)", "{{job}}", True))
        .unit("bool")
        .thresholds(steps((None, GREEN), (1.0, RED)))
        .span(12)
        .height(6)
    )


def aws_jobs(t: Thresholds) -> db.Dashboard:
    return (
        db.Dashboard("DataFlow AWS jobs")
        .uid("dataflow-aws-jobs")
        .tags(["dataflow", "aws"])
        .refresh("1m")
        .time("now-24h", "now")
        .timezone("utc")
        .with_panel(job_age_panel(t))
        .with_panel(job_duration_panel())
        .with_panel(job_failed_panel())
    )


DASHBOARDS = (pipeline_overview, freshness_quality, streaming, aws_jobs)


# --- alert rules and contact points ------------------------------------------------------------
def grafana_rule(alert, t: Thresholds) -> al.Rule:
    """A Grafana-managed mirror of a critical Prometheus alert: A → last(A) → threshold."""
    operator, value = alert.threshold
    source = (
        al.Query("A")
        .datasource_uid(DATASOURCE_UID)
        .relative_time_range(dm_relative(600))
        .model(prom.Dataquery().expr(alert.signal).instant().ref_id("A").datasource(DATASOURCE))
    )
    reduce = (
        al.Query("B")
        .datasource_uid("__expr__")
        .model(ex.TypeReduce().ref_id("B").expression("A").reducer("last"))
    )
    threshold = (
        al.Query("C")
        .datasource_uid("__expr__")
        .model(
            ex.TypeThreshold()
            .ref_id("C")
            .expression("B")
            .conditions(
                [
                    ex.ExprTypeThresholdConditions().evaluator(
                        ex.ExprTypeThresholdConditionsEvaluator().type(operator).params([value])
                    )
                ]
            )
        )
    )
    return (
        al.Rule(alert.name)
        .uid(f"dataflow-{alert.name.lower()}"[:40])
        .condition("C")
        .queries([source, reduce, threshold])
        .for_val(alert.for_)
        .no_data_state("OK")
        .exec_err_state("Error")
        .labels({"severity": alert.severity, "origin": "grafana"})
        .annotations(
            {
                "summary": alert.summary,
                "description": alert.description,
                "runbook_url": runbook_url(t, alert.name),
            }
        )
    )


def dm_relative(seconds: int):
    from grafana_foundation_sdk.models.alerting import RelativeTimeRange

    return RelativeTimeRange(from_val=seconds, to=0)


def critical_alerts(t: Thresholds) -> list:
    return [a for a in all_alerts(t) if a.severity == "critical"]


def _rule_json(rule: al.Rule) -> dict:
    data = _to_json(rule.build())
    for key in ("folderUID", "ruleGroup", "orgID"):
        data.pop(key, None)
    return data


def alert_rules_provisioning(t: Thresholds) -> dict:
    rules = [_rule_json(grafana_rule(a, t)) for a in critical_alerts(t)]
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": "dataflow-critical",
                "folder": "DataFlow",
                "interval": "1m",
                "rules": rules,
            }
        ],
    }


def contact_points_provisioning() -> dict:
    return {
        "apiVersion": 1,
        "contactPoints": [
            {
                "orgId": 1,
                "name": "dataflow-oncall",
                "receivers": [
                    {
                        "uid": "dataflow-oncall-webhook",
                        "type": "webhook",
                        "settings": {"url": "${DATAFLOW_ONCALL_WEBHOOK_URL}"},
                    },
                ],
            }
        ],
        "policies": [
            {
                "orgId": 1,
                "receiver": "dataflow-oncall",
                "group_by": ["alertname"],
                "routes": [
                    {
                        "receiver": "dataflow-oncall",
                        "object_matchers": [["severity", "=", "critical"]],
                    }
                ],
            }
        ],
    }


def datasource_provisioning() -> dict:
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "uid": DATASOURCE_UID,
                "type": "prometheus",
                "access": "proxy",
                "url": "http://prometheus:9090",
                "isDefault": True,
                "editable": False,
            }
        ],
    }


def dashboard_provider() -> dict:
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "dataflow",
                "orgId": 1,
                "folder": "DataFlow",
                "folderUid": FOLDER_UID,
                "type": "file",
                "disableDeletion": True,
                "options": {"path": "/var/lib/grafana/dashboards"},
            }
        ],
    }


# --- writing -----------------------------------------------------------------------------------
def _to_json(model) -> dict:
    return json.loads(json.dumps(model, cls=JSONEncoder))


def dashboard_json(build, t: Thresholds) -> dict:
    """The dashboard's JSON with stable panel ids (1, 2, ... in layout order)."""
    data = _to_json(build(t).build())
    for number, panel in enumerate(data["panels"], start=1):
        panel["id"] = number
    return data


HEADER = "# Generated by `dataflow monitoring render` (src/dataflow/monitoring/dashboards.py).\n"


def grafana_files(t: Thresholds) -> dict[str, str]:
    """Path under ``monitoring/grafana`` → file text."""
    files = {
        f"dashboards/{d['uid']}.json": json.dumps(d, indent=2, sort_keys=True) + "\n"
        for d in (dashboard_json(build, t) for build in DASHBOARDS)
    }
    files["provisioning/datasources/prometheus.yml"] = render_yaml(
        datasource_provisioning(), HEADER
    )
    files["provisioning/dashboards/dataflow.yml"] = render_yaml(dashboard_provider(), HEADER)
    files["provisioning/alerting/rules.yml"] = render_yaml(alert_rules_provisioning(t), HEADER)
    files["provisioning/alerting/contact-points.yml"] = render_yaml(
        contact_points_provisioning(), HEADER
    )
    return files


def write_grafana_files(t: Thresholds, folder: Path = GRAFANA_DIR) -> list[Path]:
    paths = []
    for name, text in grafana_files(t).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths.append(path)
    return paths
