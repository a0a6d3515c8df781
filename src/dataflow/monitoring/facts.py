"""What the warehouse knows about itself: freshness, volumes, quality, dbt results, alerts.

Each function runs one query on an open psycopg connection and returns plain data. The metrics
exporter calls them at every scrape and the monitoring DAG's checks call the same ones, so a
dashboard and an alert can never disagree about what "stale" or "failed" means. Every query
reads at most one row per table, source, suite or node (through an index), so a scrape stays
cheap as history grows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Layers dbt builds into (dataflow.warehouse.SCHEMAS minus raw and audit); results of dbt runs
# into other schemas (scratch comparisons) are not the platform's tables.
MODEL_LAYERS = ("staging", "intermediate", "marts", "snapshots")
# A raw source's landing hour covers [interval_start, interval_start + 1 h).
LANDING_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class TableFreshness:
    """When a table last got data, and how recent that data is."""

    layer: str
    table: str
    last_success_at: datetime | None
    newest_data_at: datetime | None  # end of the newest data interval the table holds

    @property
    def name(self) -> str:
        return f"{self.layer}.{self.table}"


@dataclass(frozen=True)
class SourceVolume:
    """Rows of a source over every recorded load, and its newest landing hour's share."""

    source: str
    files: int
    received: int
    loaded: int
    quarantined: int
    newest_hour_received: int
    newest_hour_quarantined: int

    @property
    def newest_hour_quarantine_ratio(self) -> float:
        if not self.newest_hour_received:
            return 0.0
        return self.newest_hour_quarantined / self.newest_hour_received


@dataclass(frozen=True)
class ExpectationCount:
    suite: str
    severity: str
    passed: int
    failed: int


@dataclass(frozen=True)
class SuiteQuality:
    """The latest validation of a suite."""

    suite: str
    validated_at: datetime
    score: float  # mean pass ratio of its row-level expectations (1.0 when no rows)
    critical_failed: int
    warnings_failed: int
    failed_expectations: tuple[str, ...]


@dataclass(frozen=True)
class SourceFreshnessResult:
    source: str
    status: str
    max_loaded_at: datetime | None
    age_seconds: float | None
    checked_at: datetime


@dataclass(frozen=True)
class StageMetric:
    stage: str
    rows: int | None
    duration_seconds: float | None
    data_interval_end: datetime | None
    recorded_at: datetime


def raw_table_freshness(conn, sources: Sequence[str]) -> list[TableFreshness]:
    """Per raw source: its newest load (``audit.load_audit``) and newest landing hour."""
    rows = conn.execute(
        """
        select s.source, l.finished_at, h.interval_start
        from unnest(%s::text[]) as s(source)
        left join lateral (
            select finished_at from audit.load_audit a where a.source = s.source
            order by finished_at desc limit 1) l on true
        left join lateral (
            select interval_start from audit.load_audit a where a.source = s.source
            order by interval_start desc limit 1) h on true
        """,
        (list(sources),),
    ).fetchall()
    return [
        TableFreshness("raw", source, finished, start + LANDING_HOUR if start else None)
        for source, finished, start in rows
    ]


def model_freshness(conn) -> list[TableFreshness]:
    """Per dbt model and snapshot: its last successful build and that run's interval end."""
    rows = conn.execute(
        """
        select schema_name, node_name, last_success_at, last_success_data_interval_end
        from audit.dbt_node_results
        where resource_type in ('model', 'snapshot') and schema_name = any(%s)
        order by schema_name, node_name
        """,
        (list(MODEL_LAYERS),),
    ).fetchall()
    return [TableFreshness(*row) for row in rows]


def table_freshness(conn, sources: Sequence[str]) -> list[TableFreshness]:
    """Every monitored table: raw sources, then dbt models."""
    return raw_table_freshness(conn, sources) + model_freshness(conn)


def table_rows(conn) -> dict[tuple[str, str], int]:
    """(schema, table) → live rows as Postgres' statistics estimate them (no table scans)."""
    rows = conn.execute(
        "select schemaname, relname, n_live_tup from pg_stat_user_tables "
        "where schemaname = any(%s)",
        (["raw", *MODEL_LAYERS],),
    ).fetchall()
    return {(schema, table): int(n) for schema, table, n in rows}


def source_volumes(conn, sources: Sequence[str]) -> list[SourceVolume]:
    """Rows received/loaded/quarantined per source over every load in ``audit.load_audit``
    (its trigger-kept totals), and the same for the source's newest landing hour."""
    rows = conn.execute(
        """
        select s.source, coalesce(t.files, 0), coalesce(t.rows_received, 0),
               coalesce(t.rows_loaded, 0), coalesce(t.rows_quarantined, 0),
               coalesce(n.received, 0), coalesce(n.quarantined, 0)
        from unnest(%s::text[]) as s(source)
        left join audit.load_totals t on t.source = s.source
        left join lateral (
            select sum(a.rows_received) as received, sum(a.rows_quarantined) as quarantined
            from audit.load_audit a
            where a.source = s.source and a.interval_start = (
                select b.interval_start from audit.load_audit b where b.source = s.source
                order by b.interval_start desc limit 1)
        ) n on true
        """,
        (list(sources),),
    ).fetchall()
    return [SourceVolume(r[0], *map(int, r[1:])) for r in rows]


_LATEST_VALIDATIONS = """
    with latest as (
        select s.suite, l.run_id, l.interval_start, l.validated_at
        from unnest(%s::text[]) as s(suite)
        cross join lateral (
            select run_id, interval_start, validated_at from audit.validation_results v
            where v.suite = s.suite order by validated_at desc limit 1) l
    )
    select v.suite, v.severity, v.success, v.unexpected_count, v.element_count,
           v.expectation, v.column_name, l.validated_at
    from latest l
    join audit.validation_results v on v.suite = l.suite
         and v.run_id is not distinct from l.run_id
         and v.interval_start is not distinct from l.interval_start
"""


def _pass_ratio(success: bool, unexpected: int | None, elements: int) -> float:
    if unexpected is None:
        return 1.0 if success else 0.0
    return max(0.0, 1.0 - unexpected / elements)


def _suite_quality(suite: str, rows: list[tuple]) -> SuiteQuality:
    row_level = [r for r in rows if r[4]]  # element_count > 0
    ratios = [_pass_ratio(r[2], r[3], r[4]) for r in row_level]
    failed = [r for r in rows if not r[2]]
    return SuiteQuality(
        suite=suite,
        validated_at=max(r[7] for r in rows),
        score=sum(ratios) / len(ratios) if ratios else 1.0,
        critical_failed=sum(1 for r in failed if r[1] == "critical"),
        warnings_failed=sum(1 for r in failed if r[1] == "warning"),
        failed_expectations=tuple(
            f"{r[5]}({r[6]})" if r[6] else r[5] for r in sorted(failed, key=lambda r: r[5])
        ),
    )


def latest_validation_rows(conn, suites: Sequence[str]) -> list[tuple]:
    return conn.execute(_LATEST_VALIDATIONS, (list(suites),)).fetchall()


def suite_quality(conn, suites: Sequence[str]) -> list[SuiteQuality]:
    """Score and failures of the latest validation of each suite (suites never run: absent)."""
    by_suite: dict[str, list[tuple]] = {}
    for row in latest_validation_rows(conn, suites):
        by_suite.setdefault(row[0], []).append(row)
    return [_suite_quality(suite, rows) for suite, rows in sorted(by_suite.items())]


def expectation_counts(conn, suites: Sequence[str]) -> list[ExpectationCount]:
    """Passed/failed expectations per suite and severity in each suite's latest validation."""
    counts: dict[tuple[str, str], list[int]] = {}
    for suite, severity, success, *_ in latest_validation_rows(conn, suites):
        counts.setdefault((suite, severity), [0, 0])[0 if success else 1] += 1
    return [ExpectationCount(s, sev, p, f) for (s, sev), (p, f) in sorted(counts.items())]


def dbt_test_statuses(conn) -> dict[str, int]:
    """Latest status of every dbt test → number of tests (``pass``, ``fail``, ``error``, ...)."""
    rows = conn.execute(
        "select last_status, count(*) from audit.dbt_node_results "
        "where resource_type = 'test' group by 1"
    ).fetchall()
    return {status: int(n) for status, n in rows}


def failing_dbt_tests(conn) -> list[tuple[str, int | None]]:
    """(test name, failing rows) of tests whose latest result is ``fail`` or ``error``."""
    return conn.execute(
        "select node_name, last_failures from audit.dbt_node_results "
        "where resource_type = 'test' and last_status in ('fail', 'error') order by node_name"
    ).fetchall()


def source_freshness(conn) -> list[SourceFreshnessResult]:
    """The last ``dbt source freshness`` result per source (written by the monitoring DAG)."""
    rows = conn.execute(
        "select source_name, status, max_loaded_at, age_seconds, checked_at "
        "from audit.source_freshness order by source_name"
    ).fetchall()
    return [SourceFreshnessResult(*row) for row in rows]


def latest_stage_metrics(conn, dag_id: str) -> list[StageMetric]:
    """Stages of the latest run ``update_monitoring_metrics`` recorded for ``dag_id``."""
    rows = conn.execute(
        """
        select stage, rows, duration_seconds, data_interval_end, recorded_at
        from audit.pipeline_stage_metrics
        where dag_id = %s and run_id = (
            select run_id from audit.pipeline_stage_metrics where dag_id = %s
            order by recorded_at desc limit 1)
        order by stage
        """,
        (dag_id, dag_id),
    ).fetchall()
    return [StageMetric(*row) for row in rows]


def open_alerts(conn) -> dict[str, int]:
    """Severity → alerts the monitoring DAG holds open (``audit.alert_state``)."""
    rows = conn.execute(
        "select severity, count(*) from audit.alert_state where status = 'firing' group by 1"
    ).fetchall()
    counts = {"critical": 0, "warning": 0}
    counts.update({severity: int(n) for severity, n in rows})
    return counts
