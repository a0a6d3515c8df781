"""Prometheus recording and alerting rules as code, one file per component, and their runbook.

``dataflow monitoring render`` writes ``monitoring/prometheus/rules/<component>.yml`` and
``monitoring/runbooks.md`` from :func:`rule_files` with the thresholds of
``monitoring/thresholds.yml``; a unit test fails while the checked-in files differ from what
the code renders. Every alert has a ``severity`` label, ``summary``/``description``/
``runbook_url`` annotations (the URL from one pattern) and an explicit ``for:``; recording
rules are named ``level:metric:operations``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dataflow.monitoring.thresholds import Thresholds
from dataflow.settings import PROJECT_ROOT

RULES_DIR = PROJECT_ROOT / "monitoring" / "prometheus" / "rules"
RUNBOOKS_FILE = PROJECT_ROOT / "monitoring" / "runbooks.md"
PIPELINE_DAG = "production_data_pipeline"
EXPORTER_JOB = "dataflow-exporter"


@dataclass(frozen=True)
class Runbook:
    meaning: str
    check: str
    fix: str


@dataclass(frozen=True)
class Alert:
    """One alerting rule. ``signal`` is the PromQL of the value it watches, without the
    threshold: it returns data whenever the watched component reports (tests check that)."""

    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str
    runbook: Runbook
    signal: str
    requires: str | None = None  # a platform part that exists only once built
    # (operator, value) such that the alert fires when ``signal <operator> value``: what the
    # Grafana-managed mirror of a critical alert evaluates (gt, lt).
    threshold: tuple[str, float] | None = None


@dataclass(frozen=True)
class Recording:
    record: str
    expr: str


@dataclass(frozen=True)
class RuleFile:
    component: str
    recordings: tuple[Recording, ...]
    alerts: tuple[Alert, ...]


def runbook_url(t: Thresholds, alert_name: str) -> str:
    """The one pattern of every alert's runbook link."""
    return f"{t.runbook_base_url}#{alert_name.lower()}"


def _hours(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    if not hours:
        return f"{rest // 60} min"
    return f"{hours} h {rest // 60} min" if rest else f"{hours} h"


# --- components --------------------------------------------------------------------------------
def pipeline_rules(t: Thresholds) -> RuleFile:
    window = f"{t.failure_window_hours}h"
    failure_ratio = f"dag_id:dataflow_dag_run_failures_per_runs:ratio_increase{window}"
    runtime = t.max_run_duration_seconds
    return RuleFile(
        "pipeline",
        (
            Recording(
                failure_ratio,
                f'sum by (dag_id) (increase(dataflow_dag_runs_total{{state="failed"}}[{window}]))\n'
                f"/\nsum by (dag_id) (increase(dataflow_dag_runs_total[{window}]))",
            ),
        ),
        (
            Alert(
                name="PipelineFailureRate",
                expr=f"{failure_ratio} > {t.max_failure_ratio}",
                for_="5m",
                severity="critical",
                summary="{{ $labels.dag_id }}: {{ $value | humanizePercentage }} of runs failed "
                f"in the last {window}",
                description=(
                    "More than "
                    f"{t.max_failure_ratio:.0%} of the finished runs of {{{{ $labels.dag_id }}}} "
                    f"failed in the last {window}. Marts and reports are not being refreshed."
                ),
                runbook=Runbook(
                    "Runs of the DAG fail more often than the success-rate target allows.",
                    "Airflow web UI → the DAG → failed runs → the red task's log. For "
                    "production_data_pipeline see docs/runbook.md (which task failed and why).",
                    "Fix the cause (source data, a dependency that was down), then Clear the "
                    "failed runs: every stage is idempotent, reruns replace their interval.",
                ),
                signal=failure_ratio,
                threshold=("gt", t.max_failure_ratio),
            ),
            Alert(
                name="ProcessingLatency",
                expr=(
                    f'dataflow_dag_last_success_duration_seconds{{dag_id="{PIPELINE_DAG}"}}'
                    f" > {runtime}\nor\n(time() - "
                    f'dataflow_dag_running_since_timestamp_seconds{{dag_id="{PIPELINE_DAG}"}})'
                    f" > {runtime}"
                ),
                for_="5m",
                severity="warning",
                summary="production_data_pipeline runs take {{ $value | humanizeDuration }}",
                description=(
                    f"A run of {PIPELINE_DAG} took (or has been running) longer than "
                    f"{_hours(runtime)}; hourly runs will queue behind it and data falls behind."
                ),
                runbook=Runbook(
                    "The hourly pipeline no longer fits in its hour.",
                    "Grafana 'DataFlow pipeline overview' → stage durations; Airflow → the run's "
                    "Gantt view shows the slow task; `dataflow_pipeline_stage_duration_seconds`.",
                    "Look for a data-volume spike (rows per stage) or a slow dependency; "
                    "`make bench` compares stage costs. Scale the warehouse or fix the query.",
                ),
                signal=f'dataflow_dag_last_success_duration_seconds{{dag_id="{PIPELINE_DAG}"}}',
            ),
            Alert(
                name="AirflowApiUnreachable",
                expr='dataflow_exporter_source_up{source="airflow"} == 0',
                for_="5m",
                severity="warning",
                summary="The metrics exporter cannot read the Airflow REST API",
                description=(
                    "DAG run metrics are absent: the exporter cannot log in to or reach the "
                    "Airflow API (/api/v2). Pipeline failure and latency alerts are blind."
                ),
                runbook=Runbook(
                    "The exporter's Airflow source fails at every scrape.",
                    "`curl $AIRFLOW_URL/api/v2/monitor/health`; the exporter log "
                    "(.dataflow/run/metrics-exporter.log) names the error.",
                    "Start the api-server (`make up`) or fix DATAFLOW_AIRFLOW_API_URL / "
                    "DATAFLOW_AIRFLOW_API_USER / DATAFLOW_AIRFLOW_API_PASSWORD.",
                ),
                signal='dataflow_exporter_source_up{source="airflow"}',
            ),
        ),
    )


def freshness_rules(t: Thresholds) -> RuleFile:
    age = "layer_table:dataflow_table_last_success_age_seconds:max"
    limit = t.freshness_max_age_seconds
    return RuleFile(
        "freshness",
        (
            Recording(
                age,
                "max by (layer, table) (time() - dataflow_table_last_success_timestamp_seconds)",
            ),
        ),
        (
            Alert(
                name="DataFreshnessSLABreached",
                expr=f"{age} > {limit}",
                for_="5m",
                severity="critical",
                summary="{{ $labels.layer }}.{{ $labels.table }} got no new data for "
                "{{ $value | humanizeDuration }}",
                description=(
                    "The last successful load or build of {{ $labels.layer }}.{{ $labels.table }} "
                    f"is older than its freshness SLA of {_hours(limit)} "
                    f"({t.missed_runs_tolerated} missed hourly runs tolerated, plus "
                    f"{t.grace_minutes} min grace). Everything downstream is stale."
                ),
                runbook=Runbook(
                    "A table missed more hourly runs than the SLA tolerates.",
                    "Airflow → production_data_pipeline: are runs failing, queued or paused? "
                    "`select source, max(finished_at) from audit.load_audit group by 1`; for "
                    "models `select * from audit.dbt_node_results where node_name = '<table>'`. "
                    "Did files land? `aws s3 ls s3://dataflow-landing/landing/<source>/`.",
                    "No files: chase the producer. Files but no load: fix the failing run and "
                    "Clear it (reruns are idempotent). Paused DAG: unpause it.",
                ),
                signal=age,
                threshold=("gt", float(limit)),
            ),
        ),
    )


def quality_rules(t: Thresholds) -> RuleFile:
    score = "suite:dataflow_quality_score_ratio:min"
    return RuleFile(
        "quality",
        (Recording(score, "min by (suite) (dataflow_quality_score_ratio)"),),
        (
            Alert(
                name="DataQualityDegradation",
                expr=f"{score} < {t.min_quality_score_ratio}",
                for_="15m",
                severity="warning",
                summary="Quality score of suite {{ $labels.suite }} is "
                "{{ $value | humanizePercentage }}",
                description=(
                    "The latest validation of {{ $labels.suite }} scored below "
                    f"{t.min_quality_score_ratio:.0%} (mean pass ratio of its row-level "
                    "expectations): more bad rows than usual reached raw."
                ),
                runbook=Runbook(
                    "Source data got worse: more rows fail the suite's expectations.",
                    "GX Data Docs (.dataflow/data_docs/index.html) for the latest run; "
                    "`select expectation, column_name, observed_value from "
                    "audit.validation_results where suite = '<suite>' and not success "
                    "order by validated_at desc`.",
                    "Tell the source's owner which expectation and values fail; warnings do "
                    "not stop the pipeline, so nothing to rerun unless the data is corrected.",
                ),
                signal=score,
            ),
            Alert(
                name="CriticalExpectationsFailed",
                expr='sum by (suite) (dataflow_quality_expectations{severity="critical", '
                'outcome="failed"}) > 0',
                for_="1m",
                severity="critical",
                summary="{{ $value }} critical expectation(s) of suite {{ $labels.suite }} failed",
                description=(
                    "The latest validation of {{ $labels.suite }} failed a critical "
                    "expectation, so the quality gate stopped the transformations: marts "
                    "keep their previous state until the data is fixed."
                ),
                runbook=Runbook(
                    "The quality gate blocked a batch.",
                    "Airflow → the failed enforce_critical_expectations task lists every "
                    "failed expectation; the same rows are in audit.validation_results.",
                    "Get corrected files re-delivered, then Clear the whole run "
                    "(docs/runbook.md, quality gate section).",
                ),
                signal='sum by (suite) (dataflow_quality_expectations{severity="critical", '
                'outcome="failed"})',
                threshold=("gt", 0.0),
            ),
            Alert(
                name="DbtTestsFailing",
                expr='sum(dataflow_dbt_tests{status=~"fail|error"}) > 0',
                for_="5m",
                severity="warning",
                summary="{{ $value }} dbt test(s) fail",
                description=(
                    "The latest run of some dbt tests failed or errored "
                    "(audit.dbt_node_results); the models they test may be wrong."
                ),
                runbook=Runbook(
                    "dbt tests of the marts fail.",
                    "`select node_name, last_status, last_failures from audit.dbt_node_results "
                    "where resource_type = 'test' and last_status in ('fail', 'error')`; the "
                    "Cosmos task log of the test shows the failing rows' query.",
                    "Fix the model or the data, then Clear the transformations of the run.",
                ),
                signal="sum(dataflow_dbt_tests)",
            ),
        ),
    )


def ingestion_rules(t: Thresholds) -> RuleFile:
    return RuleFile(
        "ingestion",
        (
            Recording(
                "source:dataflow_rows_quarantined_per_received:ratio_increase1h",
                "sum by (source) (increase(dataflow_rows_quarantined_total[1h]))\n/\n"
                "sum by (source) (increase(dataflow_rows_received_total[1h]))",
            ),
        ),
        (
            Alert(
                name="QuarantineRateHigh",
                expr="max by (source) (dataflow_source_quarantined_ratio) > "
                f"{t.max_quarantine_ratio}",
                for_="5m",
                severity="warning",
                summary="{{ $value | humanizePercentage }} of the newest {{ $labels.source }} "
                "rows were quarantined",
                description=(
                    "More than "
                    f"{t.max_quarantine_ratio:.0%} of the rows received for "
                    "{{ $labels.source }} in its newest landing hour could not be loaded "
                    "(audit.quarantine has each row with its reason). ≈1% is normal."
                ),
                runbook=Runbook(
                    "A producer sends many malformed rows.",
                    "`select split_part(reason, ':', 1), count(*) from audit.quarantine where "
                    "source = '<source>' group by 1 order by 2 desc`.",
                    "Send the reasons and line numbers to the producer; after re-delivery "
                    "Clear the interval's load task (it replaces the file's rows).",
                ),
                signal="max by (source) (dataflow_source_quarantined_ratio)",
            ),
        ),
    )


def infrastructure_rules(t: Thresholds) -> RuleFile:
    memory = "instance:node_memory_used:ratio"
    return RuleFile(
        "infrastructure",
        (Recording(memory, "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes"),),
        (
            Alert(
                name="DatabaseConnectionFailure",
                expr='dataflow_exporter_source_up{source="warehouse"} == 0\nor\npg_up == 0',
                for_="1m",
                severity="critical",
                summary="The warehouse database is unreachable",
                description=(
                    "The metrics exporter (or postgres-exporter) cannot query the warehouse. "
                    "Every pipeline run fails and the freshness/quality alerts it would cause "
                    "are inhibited while this fires."
                ),
                runbook=Runbook(
                    "Postgres is down or refuses connections.",
                    "`make status`; `pg_isready -h 127.0.0.1 -p $DATAFLOW_PG_PORT`; the server "
                    "log .dataflow/postgres/postgres.log (disk full, max_connections).",
                    "Restart it (`make up` starts what is not running); when it is back, Clear "
                    "the pipeline runs that failed meanwhile.",
                ),
                signal='dataflow_exporter_source_up{source="warehouse"}',
                threshold=("lt", 1.0),
            ),
            Alert(
                name="HighMemoryUsage",
                expr=f"{memory} > {t.max_memory_used_ratio}",
                for_="10m",
                severity="warning",
                summary="{{ $labels.instance }} uses {{ $value | humanizePercentage }} "
                "of its memory",
                description=(
                    f"Memory use above {t.max_memory_used_ratio:.0%} for 10 minutes: Spark, dbt "
                    "or Postgres may be killed by the OOM killer."
                ),
                runbook=Runbook(
                    "The machine is close to running out of memory.",
                    "`ps aux --sort=-rss | head`; node-exporter's memory panels.",
                    "Stop what should not run; lower Postgres shared_buffers/work_mem or the "
                    "Airflow parallelism; give the machine more memory.",
                ),
                signal=memory,
            ),
            Alert(
                name="MetricsExporterDown",
                expr=f'up{{job="{EXPORTER_JOB}"}} == 0\nor\nabsent(up{{job="{EXPORTER_JOB}"}})',
                for_="2m",
                severity="critical",
                summary="Prometheus cannot scrape the DataFlow metrics exporter",
                description=(
                    "Freshness, quality and pipeline metrics are absent, so every alert on "
                    "them is blind until the exporter is back."
                ),
                runbook=Runbook(
                    "The exporter process is down or hangs.",
                    "`make status`; `curl http://127.0.0.1:$DATAFLOW_EXPORTER_PORT/metrics`; "
                    ".dataflow/run/metrics-exporter.log.",
                    "`make up` restarts it; nothing is lost (it reads everything at scrape time).",
                ),
                signal=f'up{{job="{EXPORTER_JOB}"}}',
                threshold=("lt", 1.0),
            ),
        ),
    )


def streaming_rules(t: Thresholds) -> RuleFile:
    return RuleFile(
        "streaming",
        (),
        (
            Alert(
                name="StreamConsumerLagging",
                expr=f"max by (stream) (dataflow_stream_consumer_lag_seconds) > "
                f"{t.max_consumer_lag_seconds}",
                for_="10m",
                severity="warning",
                summary="Stream {{ $labels.stream }} consumer is "
                "{{ $value | humanizeDuration }} behind",
                description=(
                    "The event consumer falls behind the stream by more than "
                    f"{t.max_consumer_lag_seconds} s; real-time metrics are late."
                ),
                runbook=Runbook(
                    "Records arrive faster than the consumer processes them, or it stopped.",
                    "Consumer logs and its iterator age; the streaming dashboard.",
                    "Fix the failing consumer or add shards/concurrency.",
                ),
                signal="max by (stream) (dataflow_stream_consumer_lag_seconds)",
                requires="streaming",
            ),
            Alert(
                name="DeadLetteredRecords",
                expr="sum by (queue) (dataflow_stream_dead_letter_messages) > 0",
                for_="5m",
                severity="warning",
                summary="{{ $value }} records in dead-letter queue {{ $labels.queue }}",
                description=(
                    "Stream records failed every retry and were dead-lettered: they are not "
                    "in the warehouse until replayed."
                ),
                runbook=Runbook(
                    "The consumer could not process some records.",
                    "Read a message from the DLQ (aws sqs receive-message) for the error.",
                    "Fix the cause, then replay the DLQ (consumers are idempotent).",
                ),
                signal="sum by (queue) (dataflow_stream_dead_letter_messages)",
                requires="streaming",
            ),
        ),
    )


def aws_job_rules(t: Thresholds) -> RuleFile:
    limit = t.max_job_age_seconds
    return RuleFile(
        "aws_jobs",
        (),
        (
            Alert(
                name="GlueJobFailed",
                expr="max by (job) (dataflow_aws_job_last_run_failed) == 1",
                for_="1m",
                severity="critical",
                summary="The latest run of job {{ $labels.job }} failed",
                description=(
                    "The last run of the Glue-style job {{ $labels.job }} ended FAILED, "
                    "ERROR or TIMEOUT: the features it writes are not refreshed."
                ),
                runbook=Runbook(
                    "The AWS job (local Spark or AWS Glue) failed.",
                    "Airflow → production_data_pipeline → aws_integration task log; "
                    "`aws glue get-job-runs --job-name <job>` for ErrorMessage.",
                    "Fix the cause and Clear the aws_integration task (the job is idempotent).",
                ),
                signal="max by (job) (dataflow_aws_job_last_run_failed)",
                requires="aws_jobs",
                threshold=("gt", 0.0),
            ),
            Alert(
                name="GlueJobLate",
                expr=f"time() - max by (job) (dataflow_aws_job_last_success_timestamp_seconds) > "
                f"{limit}",
                for_="5m",
                severity="warning",
                summary="Job {{ $labels.job }} last succeeded {{ $value | humanizeDuration }} ago",
                description=(
                    "No successful run of {{ $labels.job }} for more than "
                    f"{_hours(limit)}: its outputs are stale."
                ),
                runbook=Runbook(
                    "The job stopped succeeding or stopped being started.",
                    "Airflow → the aws_integration group of the latest runs.",
                    "Unblock the pipeline runs or start the job by hand.",
                ),
                signal="max by (job) (dataflow_aws_job_last_success_timestamp_seconds)",
                requires="aws_jobs",
            ),
        ),
    )


# Alerts only the monitoring_and_alerting DAG raises (the others share Prometheus' names).
DAG_ONLY_RUNBOOKS = {
    "PlatformComponentDown": Runbook(
        "The DAG's health check could not reach a component (label `component`: postgres, "
        "aws, airflow_api, metrics_exporter). Critical for postgres and aws, warning otherwise.",
        "The alert's description has the error; `make status`; the component's log under "
        ".dataflow/run/ (or .dataflow/postgres/postgres.log).",
        "Start what is down (`make up` starts what is not running); check credentials and "
        "endpoints in `dataflow env`.",
    ),
}


def rule_files(t: Thresholds) -> list[RuleFile]:
    """Every rule file of the platform, in a stable order."""
    builders = (
        pipeline_rules,
        freshness_rules,
        quality_rules,
        ingestion_rules,
        infrastructure_rules,
        streaming_rules,
        aws_job_rules,
    )
    return [build(t) for build in builders]


def all_alerts(t: Thresholds) -> list[Alert]:
    return [a for f in rule_files(t) for a in f.alerts]


# --- rendering ---------------------------------------------------------------------------------
def _alert_doc(alert: Alert, component: str, t: Thresholds, for_override: str | None) -> dict:
    return {
        "alert": alert.name,
        "expr": alert.expr,
        "for": for_override or alert.for_,
        "labels": {"severity": alert.severity, "component": component},
        "annotations": {
            "summary": alert.summary,
            "description": alert.description,
            "runbook_url": runbook_url(t, alert.name),
        },
    }


def rule_file_doc(rule_file: RuleFile, t: Thresholds, for_override: str | None = None) -> dict:
    rules = [{"record": r.record, "expr": r.expr} for r in rule_file.recordings]
    rules += [_alert_doc(a, rule_file.component, t, for_override) for a in rule_file.alerts]
    return {"groups": [{"name": f"dataflow-{rule_file.component}", "rules": rules}]}


def render_yaml(doc: dict, header: str) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper, value: str):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    body = yaml.dump(doc, Dumper=Dumper, sort_keys=False, width=100, allow_unicode=True)
    return header + body


RULES_HEADER = (
    "# Generated by `dataflow monitoring render` from src/dataflow/monitoring/rules.py and\n"
    "# monitoring/thresholds.yml. Do not edit: change the code or the thresholds, re-render.\n"
)


def render_rule_files(t: Thresholds, for_override: str | None = None) -> dict[str, str]:
    """File name → YAML text of every rule file."""
    return {
        f"{f.component}.yml": render_yaml(rule_file_doc(f, t, for_override), RULES_HEADER)
        for f in rule_files(t)
    }


def write_rule_files(folder: Path, t: Thresholds, for_override: str | None = None) -> list[Path]:
    """Write every rule file into ``folder`` (stale ``*.yml`` there are removed)."""
    folder.mkdir(parents=True, exist_ok=True)
    rendered = render_rule_files(t, for_override)
    for old in folder.glob("*.yml"):
        if old.name not in rendered:
            old.unlink()
    paths = []
    for name, text in rendered.items():
        path = folder / name
        path.write_text(text)
        paths.append(path)
    return paths


def render_runbooks(t: Thresholds) -> str:
    """``monitoring/runbooks.md``: one section per alert, anchors matching :func:`runbook_url`."""
    lines = [
        "# DataFlow alert runbooks",
        "",
        "<!-- Generated by `dataflow monitoring render` from src/dataflow/monitoring/rules.py. -->",
        "",
        "Every Prometheus alert links here (`runbook_url`). Thresholds come from",
        "`monitoring/thresholds.yml`; the batch pipeline's own runbook is `docs/runbook.md`.",
        "",
    ]
    for rule_file in rule_files(t):
        for alert in rule_file.alerts:
            lines += _runbook_section(alert, rule_file.component)
    lines += [
        "# Alerts of the monitoring_and_alerting DAG only",
        "",
        "The DAG also raises DataFreshnessSLABreached, DataQualityDegradation, DbtTestsFailing,",
        "ProcessingLatency and PipelineFailureRate with the meanings above.",
        "",
    ]
    for name, runbook in DAG_ONLY_RUNBOOKS.items():
        lines += [
            f"## {name}",
            "",
            f"- **What it means**: {runbook.meaning}",
            f"- **How to check**: {runbook.check}",
            f"- **How to fix**: {runbook.fix}",
            "",
        ]
    return "\n".join(lines)


def _runbook_section(alert: Alert, component: str) -> list[str]:
    requires = f" Exported once the {alert.requires} part exists." if alert.requires else ""
    return [
        f"## {alert.name}",
        "",
        f"Severity **{alert.severity}**, component `{component}`, fires after `{alert.for_}`."
        + requires,
        "",
        "```promql",
        alert.expr,
        "```",
        "",
        f"- **What it means**: {alert.runbook.meaning}",
        f"- **How to check**: {alert.runbook.check}",
        f"- **How to fix**: {alert.runbook.fix}",
        "",
    ]
