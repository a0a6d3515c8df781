"""
### monitoring_and_alerting

Every 15 minutes: is the platform healthy, is its data fresh and good, are its DAGs on time?
Findings become alerts in `audit.alert_state` — one per condition, opened once, re-notified
every `DATAFLOW_ALERT_RENOTIFY_MINUTES` (default 4 h) while it lasts, resolved with one notice
when it clears.

**`check_system_health`** — Postgres, the AWS endpoint (landing bucket), the Airflow REST API
and the metrics exporter answer.

**`monitor_data_freshness`** — runs `dbt source freshness` (the raw sources warn after 2 h and
error after 6 h; results in `audit.source_freshness`) and holds every table to its freshness
SLA from `monitoring/thresholds.yml` (two missed hourly runs tolerated).

**`collect_quality_metrics`** — the latest Great Expectations result of each suite (quality
score, critical failures) and of every dbt test (`audit.dbt_node_results`).

**`monitor_performance`** — through the Airflow REST API: each DAG's latest run against the
median of its recent successful runs, and its failure ratio over the last 24 h.

**`generate_alerts`** — opens, re-notifies and resolves alerts. **Critical** → the SNS alerts
topic (on-call) and Alertmanager's API; **warning** → the chat webhook. Every notification is
logged in `audit.alert_notifications`.

Thresholds: `monitoring/thresholds.yml`. Runbooks: `monitoring/runbooks.md`.
Dashboards and the Prometheus side: `monitoring/README.md`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag

from dataflow.monitoring.tasks import (
    check_system_health,
    collect_quality_metrics,
    generate_alerts,
    monitor_data_freshness,
    monitor_performance,
)
from dataflow.pipeline.schedules import every_15_minutes
from dataflow.settings import get_settings

DEFAULT_ARGS = {
    "owner": "data-platform",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=3),
}


@dag(
    dag_id="monitoring_and_alerting",
    schedule=every_15_minutes(get_settings()),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    dagrun_timeout=timedelta(minutes=14),
    tags=["dataflow", "monitoring"],
    doc_md=__doc__,
)
def monitoring_and_alerting():
    generate_alerts(
        health=check_system_health(),
        freshness=monitor_data_freshness(),
        quality=collect_quality_metrics(),
        performance=monitor_performance(),
    )


monitoring_and_alerting()
