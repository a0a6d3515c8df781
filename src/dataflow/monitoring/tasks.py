"""Airflow tasks of the monitoring: the production pipeline's last group, and the
``monitoring_and_alerting`` DAG's tasks. Thin wrappers: the work is in ``dataflow.monitoring``.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import TaskGroup, task

from dataflow.settings import get_settings


@task(execution_timeout=timedelta(minutes=10))
def update_monitoring_metrics(
    data_interval_start=None, data_interval_end=None, run_id=None, dag_run=None
):
    """Record rows and wall time per stage of this run for the metrics exporter."""
    from dataflow.monitoring.pipeline_metrics import record_run_metrics
    from dataflow.timeutil import to_utc

    return record_run_metrics(
        get_settings(),
        dag_run.dag_id,
        run_id,
        to_utc(data_interval_start) if data_interval_start else None,
        to_utc(data_interval_end) if data_interval_end else None,
    )


def monitoring() -> TaskGroup:
    """The production pipeline's last group: run-level figures for Prometheus."""
    with TaskGroup("monitoring", tooltip="run-level figures for the metrics exporter") as group:
        update_monitoring_metrics()
    return group


# --- monitoring_and_alerting ---------------------------------------------------------------------
@task(execution_timeout=timedelta(minutes=5))
def check_system_health():
    """Postgres, the AWS endpoint, the Airflow API and the metrics exporter answer."""
    from dataflow.monitoring import checks

    return checks.to_xcom(checks.check_system_health(get_settings()))


@task(execution_timeout=timedelta(minutes=10))
def monitor_data_freshness():
    """`dbt source freshness` and the per-table freshness SLA."""
    from dataflow.monitoring import checks

    return checks.to_xcom(checks.monitor_data_freshness(get_settings()))


@task(execution_timeout=timedelta(minutes=5))
def collect_quality_metrics():
    """GX suites' and dbt tests' latest results."""
    from dataflow.monitoring import checks

    return checks.to_xcom(checks.collect_quality_metrics(get_settings()))


@task(execution_timeout=timedelta(minutes=5))
def monitor_performance():
    """DAG run durations and failures against their recent baseline (REST API)."""
    from dataflow.monitoring import checks

    return checks.to_xcom(checks.monitor_performance(get_settings()))


@task(trigger_rule="all_done", execution_timeout=timedelta(minutes=5))
def generate_alerts(health=None, freshness=None, quality=None, performance=None):
    """Open, re-notify and resolve alerts from the checks' conditions; route by severity.

    Runs even when a check failed: that check's alerts then neither open nor resolve, and this
    task fails afterwards so the run shows that monitoring was partly blind.
    """
    from airflow.sdk.exceptions import AirflowFailException

    from dataflow.monitoring import alerts, checks

    results = checks.from_xcom([health, freshness, quality, performance])
    outcome = alerts.process_conditions(get_settings(), results).to_dict()
    missing = sorted(set(CHECKS) - {r.check for r in results})
    if missing:
        raise AirflowFailException(
            f"checks without a result (see their logs): {', '.join(missing)}; alerts processed "
            f"for the others: {outcome}"
        )
    return outcome


CHECKS = (
    "check_system_health",
    "monitor_data_freshness",
    "collect_quality_metrics",
    "monitor_performance",
)
