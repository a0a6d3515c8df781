"""``update_monitoring_metrics``: run-level figures of a production_data_pipeline run.

The pipeline's last task records, per stage (task group), the rows it handled and its wall
time into ``audit.pipeline_stage_metrics``, where the exporter reads them. Rows come from what
each stage wrote (load audit, validation results, the marts); wall times from the run's task
instances through the Airflow REST API (tasks cannot query the metadata DB). Without a
reachable API the rows are still recorded and the durations are left empty, with a warning:
monitoring never fails the pipeline it watches.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from dataflow.settings import Settings

log = logging.getLogger(__name__)

MONITORING_GROUP = "monitoring"


@dataclass(frozen=True)
class StageFigures:
    stage: str
    rows: int | None
    duration_seconds: float | None
    started_at: datetime | None
    finished_at: datetime | None


def ingested_rows(conn, run_id: str) -> int:
    return conn.execute(
        "select coalesce(sum(rows_loaded), 0) from audit.load_audit where run_id = %s", (run_id,)
    ).fetchone()[0]


def validated_rows(conn, run_id: str) -> int:
    """Rows the run's suites validated (each suite's largest element count)."""
    return conn.execute(
        "select coalesce(sum(n), 0) from (select max(element_count) as n "
        "from audit.validation_results where run_id = %s group by suite) s",
        (run_id,),
    ).fetchone()[0]


def mart_rows(conn) -> int:
    """Rows the marts hold after the run (exact counts)."""
    tables = conn.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'marts' and table_type = 'BASE TABLE'"
    ).fetchall()
    return sum(
        conn.execute(f'select count(*) from marts."{name}"').fetchone()[0] for (name,) in tables
    )


STAGE_ROWS = {
    "data_ingestion": lambda conn, run_id: ingested_rows(conn, run_id),
    "quality_validation": lambda conn, run_id: validated_rows(conn, run_id),
    "transformations": lambda conn, run_id: mart_rows(conn),
}


def stage_spans(task_instances) -> dict[str, tuple[datetime, datetime]]:
    """Task group → (first task start, last task end) of the run's finished tasks."""
    spans: dict[str, tuple[datetime, datetime]] = {}
    for ti in task_instances:
        group = ti.task_id.split(".", 1)[0]
        if group == MONITORING_GROUP or ti.start_date is None or ti.end_date is None:
            continue
        start, end = spans.get(group, (ti.start_date, ti.end_date))
        spans[group] = (min(start, ti.start_date), max(end, ti.end_date))
    return spans


def fetch_spans(settings: Settings, dag_id: str, run_id: str) -> dict:
    from dataflow.monitoring.airflow_api import AirflowApi, AirflowApiError

    try:
        return stage_spans(AirflowApi(settings).task_instances(dag_id, run_id))
    except AirflowApiError as exc:
        log.warning("stage durations not recorded for %s: %s", run_id, exc)
        return {}


def collect_stage_figures(conn, spans: dict, run_id: str) -> list[StageFigures]:
    figures = []
    for stage in sorted(set(STAGE_ROWS) | set(spans)):
        rows = STAGE_ROWS[stage](conn, run_id) if stage in STAGE_ROWS else None
        start, end = spans.get(stage, (None, None))
        duration = (end - start).total_seconds() if start and end else None
        figures.append(StageFigures(stage, rows, duration, start, end))
    return figures


_UPSERT = """
insert into audit.pipeline_stage_metrics (dag_id, run_id, stage, data_interval_start,
    data_interval_end, rows, duration_seconds, started_at, finished_at, recorded_at)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s, now())
on conflict (dag_id, run_id, stage) do update set
    data_interval_start = excluded.data_interval_start,
    data_interval_end = excluded.data_interval_end, rows = excluded.rows,
    duration_seconds = excluded.duration_seconds, started_at = excluded.started_at,
    finished_at = excluded.finished_at, recorded_at = excluded.recorded_at
"""


def record_run_metrics(
    settings: Settings,
    dag_id: str,
    run_id: str,
    interval_start: datetime | None,
    interval_end: datetime | None,
) -> list[dict]:
    """Record the run's figures per stage (a retry replaces them); returns what was written."""
    import psycopg

    spans = fetch_spans(settings, dag_id, run_id)
    with psycopg.connect(settings.warehouse_url) as conn:
        figures = collect_stage_figures(conn, spans, run_id)
        for f in figures:
            conn.execute(
                _UPSERT,
                (
                    dag_id,
                    run_id,
                    f.stage,
                    interval_start,
                    interval_end,
                    f.rows,
                    f.duration_seconds,
                    f.started_at,
                    f.finished_at,
                ),
            )
    return [
        asdict(f) | {"started_at": _iso(f.started_at), "finished_at": _iso(f.finished_at)}
        for f in figures
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
