"""The checks of the ``monitoring_and_alerting`` DAG; each returns a :class:`CheckResult`.

A check names the alerts it *covers* and the conditions that are active now. ``generate_alerts``
opens what is active and resolves open alerts of a covered name that are no longer active, so
an alert only resolves when the check that raised it ran and found the condition cleared (a
check that failed to run resolves nothing).
"""

from __future__ import annotations

import hashlib
import json
import logging
import statistics
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dataflow.monitoring import facts
from dataflow.monitoring.thresholds import Thresholds, load_thresholds
from dataflow.settings import Settings

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = 5.0


@dataclass(frozen=True)
class Condition:
    """A problem that is true now. Its fingerprint is the alert name and identifying labels."""

    alertname: str
    severity: str
    labels: dict[str, str]
    summary: str
    description: str

    @property
    def fingerprint(self) -> str:
        key = json.dumps([self.alertname, sorted(self.labels.items())])
        return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass
class CheckResult:
    check: str
    covers: tuple[str, ...]
    active: list[Condition] = field(default_factory=list)
    facts: dict = field(default_factory=dict)  # what was measured, for the task log / XCom


def to_xcom(result: CheckResult) -> dict:
    return asdict(result)


def from_xcom(values) -> list[CheckResult]:
    """CheckResults from the upstream tasks' XComs (failed checks give None: skipped)."""
    results = []
    for value in values:
        if not value:
            continue
        active = [Condition(**c) for c in value["active"]]
        results.append(CheckResult(value["check"], tuple(value["covers"]), active, value["facts"]))
    return results


# --- check_system_health -------------------------------------------------------------------------
def _probe_postgres(settings: Settings) -> None:
    import psycopg

    with psycopg.connect(settings.warehouse_url, connect_timeout=5) as conn:
        conn.execute("select 1")


def _probe_aws(settings: Settings) -> None:
    from dataflow.aws import aws_client

    aws_client(settings, "s3", connect_timeout=5, retries={"max_attempts": 1}).head_bucket(
        Bucket=settings.landing_bucket
    )


def _probe_airflow(settings: Settings) -> None:
    from dataflow.monitoring.airflow_api import AirflowApi

    unhealthy = {k: v for k, v in AirflowApi(settings).health().items() if v != "healthy"}
    if unhealthy.get("metadatabase"):
        raise RuntimeError(f"metadata database {unhealthy['metadatabase']}")
    if unhealthy:
        log.info("Airflow components not healthy (no alert: tasks still run): %s", unhealthy)


def _probe_exporter(settings: Settings) -> None:
    with urllib.request.urlopen(f"{settings.exporter_url}/metrics", timeout=HEALTH_TIMEOUT):
        pass


# component → (probe, severity when it fails)
HEALTH_PROBES = {
    "postgres": (_probe_postgres, "critical"),
    "aws": (_probe_aws, "critical"),
    "airflow_api": (_probe_airflow, "warning"),
    "metrics_exporter": (_probe_exporter, "warning"),
}


def check_system_health(settings: Settings) -> CheckResult:
    result = CheckResult("check_system_health", ("PlatformComponentDown",))
    for component, (probe, severity) in HEALTH_PROBES.items():
        try:
            probe(settings)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            result.facts[component] = f"down: {exc}"
            result.active.append(
                Condition(
                    "PlatformComponentDown",
                    severity,
                    {"component": component},
                    f"{component} is down or unreachable",
                    f"The monitoring DAG's health check of {component} failed: {exc}",
                )
            )
        else:
            result.facts[component] = "up"
    return result


# --- monitor_data_freshness -----------------------------------------------------------------------
def freshness_target_dir(settings: Settings) -> Path:
    """dbt's target path for freshness runs (never the DAG's manifest folder)."""
    return settings.monitoring_home / "dbt_target"


def run_dbt_source_freshness(settings: Settings) -> list[dict]:
    """``dbt source freshness``; its per-source results from ``sources.json``.

    dbt exits non-zero when a source is past ``error_after``; that is a finding, not a
    failure of the check, so the artifact is read either way.
    """
    from dataflow.transform import DbtRunError, run_dbt

    target = freshness_target_dir(settings)
    output = target / "sources.json"
    output.unlink(missing_ok=True)
    try:
        run_dbt(settings, ["source", "freshness", "--target-path", str(target), "-o", str(output)])
    except DbtRunError as exc:
        if not output.exists():
            raise
        log.info("dbt source freshness reported stale sources: %s", exc)
    return json.loads(output.read_text())["results"]


def _seconds(criteria: dict | None) -> float | None:
    if not criteria or not criteria.get("count"):
        return None
    units = {"minute": 60, "hour": 3600, "day": 86400}
    return criteria["count"] * units[criteria["period"]]


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def record_source_freshness(settings: Settings, results: list[dict]) -> dict[str, str]:
    """Upsert ``audit.source_freshness``; returns source → status."""
    import psycopg

    statuses = {}
    with psycopg.connect(settings.warehouse_url) as conn:
        for r in results:
            source = r["unique_id"].split(".", 2)[-1]  # source.<project>.<source>.<table>
            criteria = r.get("criteria") or {}
            conn.execute(
                """
                insert into audit.source_freshness (source_name, status, max_loaded_at,
                    snapshotted_at, age_seconds, warn_after_seconds, error_after_seconds,
                    checked_at)
                values (%s, %s, %s, %s, %s, %s, %s, now())
                on conflict (source_name) do update set status = excluded.status,
                    max_loaded_at = excluded.max_loaded_at,
                    snapshotted_at = excluded.snapshotted_at,
                    age_seconds = excluded.age_seconds,
                    warn_after_seconds = excluded.warn_after_seconds,
                    error_after_seconds = excluded.error_after_seconds,
                    checked_at = excluded.checked_at
                """,
                (
                    source,
                    r["status"],
                    _parse_time(r.get("max_loaded_at")),
                    _parse_time(r.get("snapshotted_at")),
                    r.get("max_loaded_at_time_ago_in_s"),
                    _seconds(criteria.get("warn_after")),
                    _seconds(criteria.get("error_after")),
                ),
            )
            statuses[source] = r["status"]
    return statuses


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else (now - moment).total_seconds()


def freshness_condition(
    table: facts.TableFreshness, dbt_status: str | None, t: Thresholds, now: datetime
) -> Condition | None:
    """The table's condition: past its SLA or dbt ``error`` → critical; dbt ``warn`` → warning."""
    age = _age(table.last_success_at, now)
    limit = t.freshness_max_age_seconds
    breached = age is not None and age > limit
    if not breached and dbt_status not in ("error", "warn"):
        return None
    severity = "critical" if breached or dbt_status == "error" else "warning"
    age_text = "never" if age is None else f"{age / 3600:.1f} h ago"
    return Condition(
        "DataFreshnessSLABreached",
        severity,
        {"layer": table.layer, "table": table.table},
        f"{table.name} got no new data for {age_text.removesuffix(' ago')}",
        f"Last successful load/build of {table.name}: {age_text} (SLA {limit / 3600:.1f} h, "
        f"{t.missed_runs_tolerated} missed hourly runs tolerated); dbt source freshness: "
        f"{dbt_status or 'not a dbt source'}.",
    )


def monitor_data_freshness(
    settings: Settings, now: datetime | None = None, thresholds: Thresholds | None = None
) -> CheckResult:
    import psycopg

    from dataflow.contracts import BATCH_SOURCES

    now = now or datetime.now(UTC)
    t = thresholds or load_thresholds()
    dbt_statuses = record_source_freshness(settings, run_dbt_source_freshness(settings))
    with psycopg.connect(settings.warehouse_url) as conn:
        tables = facts.table_freshness(conn, BATCH_SOURCES)
    result = CheckResult("monitor_data_freshness", ("DataFreshnessSLABreached",))
    result.facts = {"dbt_source_freshness": dbt_statuses, "tables": len(tables)}
    for table in tables:
        condition = freshness_condition(table, dbt_statuses.get(table.name), t, now)
        if condition is not None:
            result.active.append(condition)
    return result


# --- collect_quality_metrics ---------------------------------------------------------------------
def quality_condition(suite: facts.SuiteQuality, t: Thresholds) -> Condition | None:
    low = suite.score < t.min_quality_score_ratio
    if not low and not suite.critical_failed:
        return None
    failed = ", ".join(suite.failed_expectations) or "none"
    return Condition(
        "DataQualityDegradation",
        "critical" if suite.critical_failed else "warning",
        {"suite": suite.suite},
        f"Suite {suite.suite}: score {suite.score:.1%}, {suite.critical_failed} critical "
        "expectation(s) failed",
        f"Latest validation of {suite.suite} at {suite.validated_at:%Y-%m-%d %H:%M} UTC scored "
        f"{suite.score:.1%} (minimum {t.min_quality_score_ratio:.0%}); failed: {failed}.",
    )


def dbt_tests_condition(failing: list[tuple[str, int | None]]) -> Condition | None:
    if not failing:
        return None
    names = ", ".join(f"{name} ({rows if rows is not None else 'error'})" for name, rows in failing)
    return Condition(
        "DbtTestsFailing",
        "warning",
        {},
        f"{len(failing)} dbt test(s) fail",
        f"dbt tests whose latest run failed or errored (failing rows): {names}.",
    )


def collect_quality_metrics(
    settings: Settings, thresholds: Thresholds | None = None
) -> CheckResult:
    import psycopg

    from dataflow.quality.suites import available_suites

    t = thresholds or load_thresholds()
    with psycopg.connect(settings.warehouse_url) as conn:
        suites = facts.suite_quality(conn, available_suites(settings.gx_dir))
        failing = facts.failing_dbt_tests(conn)
        dbt_statuses = facts.dbt_test_statuses(conn)
    result = CheckResult("collect_quality_metrics", ("DataQualityDegradation", "DbtTestsFailing"))
    result.facts = {
        "quality_scores": {s.suite: round(s.score, 4) for s in suites},
        "dbt_tests": dbt_statuses,
    }
    conditions = [quality_condition(s, t) for s in suites] + [dbt_tests_condition(failing)]
    result.active = [c for c in conditions if c is not None]
    return result


# --- monitor_performance -------------------------------------------------------------------------
def slow_run_condition(dag_id: str, runs, t: Thresholds) -> Condition | None:
    """The latest finished run against the median of the successful runs before it."""
    if not runs or runs[0].duration_seconds is None:
        return None
    latest, history = runs[0], [r for r in runs[1:] if r.state == "success"]
    durations = [r.duration_seconds for r in history if r.duration_seconds is not None]
    baseline = statistics.median(durations) if durations else None
    slow = (
        baseline is not None
        and latest.duration_seconds > t.slow_factor * baseline
        and latest.duration_seconds > t.slow_min_seconds
    )
    too_long = latest.duration_seconds > t.max_run_duration_seconds
    if not slow and not too_long:
        return None
    base = f"{baseline:.0f} s" if baseline is not None else "no baseline yet"
    return Condition(
        "ProcessingLatency",
        "warning",
        {"dag_id": dag_id},
        f"{dag_id}: latest run took {latest.duration_seconds:.0f} s",
        f"The latest run of {dag_id} took {latest.duration_seconds:.0f} s against a median of "
        f"{base} over its {len(durations)} previous successful runs (limit ×{t.slow_factor}, "
        f"absolute limit {t.max_run_duration_seconds} s).",
    )


def failure_rate_condition(dag_id: str, runs, t: Thresholds) -> Condition | None:
    if not runs:
        return None
    failed = sum(1 for r in runs if r.state == "failed")
    ratio = failed / len(runs)
    if ratio <= t.max_failure_ratio:
        return None
    return Condition(
        "PipelineFailureRate",
        "critical",
        {"dag_id": dag_id},
        f"{dag_id}: {ratio:.0%} of runs failed in the last {t.failure_window_hours}h",
        f"{failed} of the {len(runs)} runs of {dag_id} that finished in the last "
        f"{t.failure_window_hours} h failed (limit {t.max_failure_ratio:.0%}).",
    )


def monitor_performance(
    settings: Settings, now: datetime | None = None, thresholds: Thresholds | None = None
) -> CheckResult:
    from dataflow.monitoring.airflow_api import TERMINAL_STATES, AirflowApi

    now = now or datetime.now(UTC)
    t = thresholds or load_thresholds()
    api = AirflowApi(settings)
    result = CheckResult("monitor_performance", ("ProcessingLatency", "PipelineFailureRate"))
    since = now - timedelta(hours=t.failure_window_hours)
    for dag_id in sorted(api.dag_run_counts()):
        recent = api.finished_runs(dag_id, limit=t.baseline_runs + 1)
        window = api.runs(
            dag_id,
            limit=1000,
            state=list(TERMINAL_STATES),
            end_date_gte=since,
            order_by=["-end_date"],
        )
        result.facts[dag_id] = {
            "latest_duration_seconds": recent[0].duration_seconds if recent else None,
            "finished_in_window": len(window),
        }
        for condition in (
            slow_run_condition(dag_id, recent, t),
            failure_rate_condition(dag_id, window, t),
        ):
            if condition is not None:
                result.active.append(condition)
    return result
