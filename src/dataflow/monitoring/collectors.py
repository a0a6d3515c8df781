"""prometheus-client custom collectors: every value is read from its source at scrape time.

The warehouse (freshness, volumes, quality, dbt results, run-level figures, open alerts) and
the Airflow REST API (DAG runs) are the truth; the exporter keeps nothing but a connection and
a token, so a restart loses nothing. A source that fails a scrape reports
``dataflow_exporter_source_up{source} 0`` and its families are absent (never stale values).

Label values are bounded: layers, table and model names, sources, suites, severities, states,
DAG ids and stages, never run ids, customer ids or file names.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    StateSetMetricFamily,
)

from dataflow.monitoring import facts
from dataflow.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "dataflow"
PIPELINE_DAG_ID = "production_data_pipeline"
DBT_FRESHNESS_STATES = ("pass", "warn", "error", "runtime error")
ACTIVE_RUN_STATES = ("queued", "running")
SCRAPE_API_TIMEOUT = 3.0


def _ts(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def gauge(name: str, doc: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=list(labels))


def counter(name: str, doc: str, labels: Iterable[str] = ()) -> CounterMetricFamily:
    # prometheus-client appends ``_total`` to the sample name itself.
    return CounterMetricFamily(f"{PREFIX}_{name}", doc, labels=list(labels))


# --- warehouse ---------------------------------------------------------------------------------
def freshness_families(rows: list[facts.TableFreshness], counts) -> list[Metric]:
    last = gauge(
        "table_last_success_timestamp_seconds",
        "When the table last got data: newest load (raw) or successful dbt build (models).",
        ["layer", "table"],
    )
    newest = gauge(
        "table_newest_data_timestamp_seconds",
        "End of the newest data interval the table holds (raw: landing hour end; models: "
        "the data_interval_end of their last successful build).",
        ["layer", "table"],
    )
    table_rows = gauge(
        "table_rows", "Live rows of the table (Postgres statistics estimate).", ["layer", "table"]
    )
    for row in rows:
        labels = [row.layer, row.table]
        if row.last_success_at is not None:
            last.add_metric(labels, _ts(row.last_success_at))
        if row.newest_data_at is not None:
            newest.add_metric(labels, _ts(row.newest_data_at))
        if (row.layer, row.table) in counts:
            table_rows.add_metric(labels, counts[(row.layer, row.table)])
    return [last, newest, table_rows]


def volume_families(volumes: list[facts.SourceVolume]) -> list[Metric]:
    doc = "{} per source over every load in audit.load_audit (a reload replaces a file's rows)."
    files = counter("files_loaded", doc.format("Files loaded"), ["source"])
    received = counter("rows_received", doc.format("Rows received"), ["source"])
    loaded = counter("rows_loaded", doc.format("Rows loaded into raw"), ["source"])
    quarantined = counter("rows_quarantined", doc.format("Rows quarantined"), ["source"])
    ratio = gauge(
        "source_quarantined_ratio",
        "Quarantined ÷ received rows of the source's newest landing hour.",
        ["source"],
    )
    for v in volumes:
        files.add_metric([v.source], v.files)
        received.add_metric([v.source], v.received)
        loaded.add_metric([v.source], v.loaded)
        quarantined.add_metric([v.source], v.quarantined)
        if v.newest_hour_received:
            ratio.add_metric([v.source], v.newest_hour_quarantine_ratio)
    return [files, received, loaded, quarantined, ratio]


def quality_families(
    counts: list[facts.ExpectationCount], suites: list[facts.SuiteQuality]
) -> list[Metric]:
    outcomes = gauge(
        "quality_expectations",
        "Expectations of each suite's latest validation by severity and outcome.",
        ["suite", "severity", "outcome"],
    )
    for c in counts:
        outcomes.add_metric([c.suite, c.severity, "passed"], c.passed)
        outcomes.add_metric([c.suite, c.severity, "failed"], c.failed)
    score = gauge(
        "quality_score_ratio",
        "Mean pass ratio of the row-level expectations of each suite's latest validation.",
        ["suite"],
    )
    validated = gauge(
        "quality_last_validation_timestamp_seconds",
        "When each suite was last validated.",
        ["suite"],
    )
    for s in suites:
        score.add_metric([s.suite], s.score)
        validated.add_metric([s.suite], _ts(s.validated_at))
    return [outcomes, score, validated]


def dbt_families(statuses: dict[str, int], freshness: list) -> list[Metric]:
    tests = gauge(
        "dbt_tests",
        "dbt tests by the status of their latest run (pass, fail, error, ...).",
        ["status"],
    )
    for status in sorted({"pass", "fail", "error", *statuses}):
        tests.add_metric([status], statuses.get(status, 0))
    state = StateSetMetricFamily(
        f"{PREFIX}_dbt_source_freshness_status",
        "Status of the last `dbt source freshness` check per source.",
        labels=["source"],
    )
    loaded = gauge(
        "dbt_source_max_loaded_at_timestamp_seconds",
        "Newest loaded_at_field value dbt saw per source.",
        ["source"],
    )
    checked = gauge(
        "dbt_source_freshness_checked_timestamp_seconds",
        "When `dbt source freshness` last checked the source.",
        ["source"],
    )
    for row in freshness:
        state.add_metric([row.source], {s: row.status == s for s in DBT_FRESHNESS_STATES})
        if row.max_loaded_at is not None:
            loaded.add_metric([row.source], _ts(row.max_loaded_at))
        checked.add_metric([row.source], _ts(row.checked_at))
    return [tests, state, loaded, checked]


def stage_families(stages: list[facts.StageMetric]) -> list[Metric]:
    rows = gauge(
        "pipeline_stage_rows",
        "Rows each stage handled in the latest recorded production_data_pipeline run.",
        ["stage"],
    )
    duration = gauge(
        "pipeline_stage_duration_seconds",
        "Wall time of each stage (first task start → last task end) in that run.",
        ["stage"],
    )
    recorded = gauge(
        "pipeline_last_recorded_run_timestamp_seconds",
        "When update_monitoring_metrics last recorded a production_data_pipeline run.",
    )
    interval_end = gauge(
        "pipeline_last_recorded_interval_end_timestamp_seconds",
        "Data interval end of that run.",
    )
    for s in stages:
        if s.rows is not None:
            rows.add_metric([s.stage], s.rows)
        if s.duration_seconds is not None:
            duration.add_metric([s.stage], s.duration_seconds)
    if stages:
        recorded.add_metric([], _ts(max(s.recorded_at for s in stages)))
        ends = [s.data_interval_end for s in stages if s.data_interval_end]
        if ends:
            interval_end.add_metric([], _ts(max(ends)))
    return [rows, duration, recorded, interval_end]


def alert_families(open_alerts: dict[str, int]) -> list[Metric]:
    family = gauge(
        "alerts_open",
        "Alerts the monitoring_and_alerting DAG holds open (audit.alert_state) by severity.",
        ["severity"],
    )
    for severity, n in sorted(open_alerts.items()):
        family.add_metric([severity], n)
    return [family]


class WarehouseSource:
    """Everything the warehouse records, over one reused connection (reopened after errors)."""

    name = "warehouse"

    def __init__(self, settings: Settings, suites: list[str], sources: list[str]):
        self.settings = settings
        self.suites = suites
        self.sources = sources
        self._conn = None
        self._lock = threading.Lock()

    def _connection(self):
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self.settings.warehouse_url, autocommit=True, connect_timeout=3
            )
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def families(self) -> list[Metric]:
        with self._lock:
            try:
                return self._families(self._connection())
            except Exception:
                self._drop_connection()
                raise

    def _families(self, conn) -> list[Metric]:
        return [
            *freshness_families(facts.table_freshness(conn, self.sources), facts.table_rows(conn)),
            *volume_families(facts.source_volumes(conn, self.sources)),
            *quality_families(
                facts.expectation_counts(conn, self.suites), facts.suite_quality(conn, self.suites)
            ),
            *dbt_families(facts.dbt_test_statuses(conn), facts.source_freshness(conn)),
            *stage_families(facts.latest_stage_metrics(conn, PIPELINE_DAG_ID)),
            *alert_families(facts.open_alerts(conn)),
        ]


# --- Airflow -----------------------------------------------------------------------------------
def dag_run_families(counts: dict[str, dict[str, int]], running, last_success) -> list[Metric]:
    finished = counter(
        "dag_runs",
        "Finished DAG runs by final state (Airflow /api/v2/dagStats).",
        ["dag_id", "state"],
    )
    active = gauge("dag_runs_active", "Queued and running DAG runs.", ["dag_id", "state"])
    for dag_id, states in sorted(counts.items()):
        for state in ("success", "failed"):
            finished.add_metric([dag_id, state], states.get(state, 0))
        for state in ACTIVE_RUN_STATES:
            active.add_metric([dag_id, state], states.get(state, 0))
    since = gauge(
        "dag_running_since_timestamp_seconds",
        "Start of the oldest running run of the DAG (absent when none runs).",
        ["dag_id"],
    )
    oldest: dict[str, datetime] = {}
    for run in running:
        if run.start_date and (run.dag_id not in oldest or run.start_date < oldest[run.dag_id]):
            oldest[run.dag_id] = run.start_date
    for dag_id, start in sorted(oldest.items()):
        since.add_metric([dag_id], _ts(start))
    return [finished, active, since, *last_success_families(last_success)]


def last_success_families(last_success: dict) -> list[Metric]:
    ended = gauge(
        "dag_last_success_timestamp_seconds",
        "End of the DAG's latest successful run.",
        ["dag_id"],
    )
    duration = gauge(
        "dag_last_success_duration_seconds",
        "Wall time of the DAG's latest successful run (first task start → last task end).",
        ["dag_id"],
    )
    for dag_id, run in sorted(last_success.items()):
        if run is None or run.end_date is None:
            continue
        ended.add_metric([dag_id], _ts(run.end_date))
        if run.duration_seconds is not None:
            duration.add_metric([dag_id], run.duration_seconds)
    return [ended, duration]


class AirflowSource:
    """DAG runs through the REST API: counts by state, running runs, latest success per DAG."""

    name = "airflow"

    def __init__(self, settings: Settings):
        from dataflow.monitoring.airflow_api import AirflowApi

        # Short timeouts: a hung API must not make Prometheus' whole scrape time out.
        self.api = AirflowApi(settings, timeout=SCRAPE_API_TIMEOUT)
        self._lock = threading.Lock()

    def families(self) -> list[Metric]:
        """The calls run in parallel: a scrape waits for the slowest, not for their sum."""
        from concurrent.futures import ThreadPoolExecutor

        with self._lock, ThreadPoolExecutor(max_workers=3) as pool:
            self.api.login()
            counts_call = pool.submit(self.api.dag_run_counts)
            running_call = pool.submit(self.api.running)
            recent_call = pool.submit(self.api.recent_successes)
            counts = counts_call.result()
            last = self.api.last_successes(sorted(counts), recent_call.result())
            running = running_call.result()
        return dag_run_families(counts, running, last)


# --- the collector -----------------------------------------------------------------------------
class PlatformCollector:
    """Runs every source at each scrape; a failing source is reported, not fatal."""

    def __init__(self, sources: list):
        self.sources = sources

    def describe(self) -> list[Metric]:
        return []  # no describe-time collection: registering must not query anything

    def collect(self) -> Iterator[Metric]:
        up = gauge("exporter_source_up", "1 when the source answered this scrape.", ["source"])
        took = gauge("exporter_source_duration_seconds", "Time to read the source.", ["source"])
        for source in self.sources:
            started = time.perf_counter()
            try:
                families = source.families()
            except Exception as exc:  # noqa: BLE001 - reported as a metric and logged
                log.warning("metrics source %s failed: %s", source.name, exc)
                families, ok = [], 0
            else:
                ok = 1
            took.add_metric([source.name], time.perf_counter() - started)
            up.add_metric([source.name], ok)
            yield from families
        yield up
        yield took
