"""The monitoring DAG's conditions, from measured facts and the thresholds file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dataflow.monitoring import checks
from dataflow.monitoring.airflow_api import DagRun
from dataflow.monitoring.facts import SuiteQuality, TableFreshness
from dataflow.monitoring.thresholds import load_thresholds

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
T = load_thresholds()


def table(age: timedelta | None) -> TableFreshness:
    last = None if age is None else NOW - age
    return TableFreshness("raw", "customers", last, last)


def run(state: str, seconds: float, hours_ago: float = 1) -> DagRun:
    end = NOW - timedelta(hours=hours_ago)
    return DagRun(
        "production_data_pipeline",
        f"r{hours_ago}",
        state,
        end - timedelta(seconds=seconds),
        end,
        None,
        None,
    )


def test_a_table_inside_its_sla_raises_nothing():
    assert checks.freshness_condition(table(timedelta(hours=3)), "pass", T, NOW) is None


def test_a_table_past_its_sla_is_critical():
    c = checks.freshness_condition(table(timedelta(hours=4)), "pass", T, NOW)
    assert (c.alertname, c.severity, c.labels) == (
        "DataFreshnessSLABreached",
        "critical",
        {"layer": "raw", "table": "customers"},
    )


def test_dbt_source_freshness_warn_alone_is_a_warning_and_error_is_critical():
    fresh = table(timedelta(hours=1))
    assert checks.freshness_condition(fresh, "warn", T, NOW).severity == "warning"
    assert checks.freshness_condition(fresh, "error", T, NOW).severity == "critical"


def suite(score: float, critical: int = 0) -> SuiteQuality:
    return SuiteQuality(
        "customers", NOW, score, critical, 0, ("expect_x(email)",) if critical else ()
    )


def test_quality_below_the_minimum_warns_and_a_critical_failure_is_critical():
    assert checks.quality_condition(suite(0.99), T) is None
    assert checks.quality_condition(suite(0.90), T).severity == "warning"
    assert checks.quality_condition(suite(0.99, critical=1), T).severity == "critical"


def test_a_run_twice_as_slow_as_its_baseline_is_late():
    runs = [run("success", 900, 0)] + [run("success", 400, h) for h in range(1, 6)]
    c = checks.slow_run_condition("production_data_pipeline", runs, T)
    assert c is not None and c.alertname == "ProcessingLatency"


def test_a_short_run_is_never_late_however_it_compares():
    runs = [run("success", 100, 0)] + [run("success", 10, h) for h in range(1, 6)]
    assert checks.slow_run_condition("production_data_pipeline", runs, T) is None


def test_failed_runs_above_the_ratio_page():
    runs = [run("failed", 60, 1), run("failed", 60, 2)] + [
        run("success", 60, h) for h in range(3, 23)
    ]
    c = checks.failure_rate_condition("production_data_pipeline", runs, T)
    assert c.severity == "critical" and "2 of the 22 runs" in c.description


def test_one_failure_in_a_day_of_hourly_runs_is_tolerated():
    runs = [run("failed", 60, 1)] + [run("success", 60, h) for h in range(2, 25)]
    assert checks.failure_rate_condition("production_data_pipeline", runs, T) is None


def test_a_dags_test_run_counts_its_tasks_span_not_its_logical_date():
    # `airflow dags test` records a run's start as its logical date, weeks before it ran
    weeks_ago = DagRun("d", "r", "success", NOW - timedelta(days=30), NOW, None, None, 120.0)
    assert weeks_ago.duration_seconds == 120.0


def test_check_results_survive_the_xcom_round_trip():
    result = checks.CheckResult(
        "c", ("A",), [checks.Condition("A", "warning", {"x": "1"}, "s", "d")]
    )
    back = checks.from_xcom([checks.to_xcom(result), None])
    assert back == [result]
