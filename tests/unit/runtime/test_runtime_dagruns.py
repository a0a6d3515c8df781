"""Runs through the REST API: interval ranges and what a failed run tells the operator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dataflow.runtime.dagruns import RunOutcome, TaskOutcome, hours_of, task_log_path
from dataflow.settings import load_settings

H0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_hours_are_sorted_and_deduplicated():
    hours = [H0 + timedelta(hours=1), H0, H0]

    assert hours_of(hours) == [H0, H0 + timedelta(hours=1)]


def test_a_gap_between_hours_is_refused_because_one_backfill_is_one_range():
    with pytest.raises(ValueError, match="contiguous"):
        hours_of([H0, H0 + timedelta(hours=2)])


def test_task_logs_follow_airflows_default_layout():
    settings = load_settings({"DATAFLOW_HOME": "/srv/df"})

    path = task_log_path(settings, "dag", "backfill__x", "group.task", 2)

    assert path == Path(
        "/srv/df/airflow/logs/dag_id=dag/run_id=backfill__x/task_id=group.task/attempt=2.log"
    )


def task(task_id: str, state: str) -> TaskOutcome:
    return TaskOutcome(task_id, state, H0, H0, 1, Path(f"/logs/{task_id}.log"))


def test_failure_report_names_the_failed_task_and_its_log_and_counts_the_rest():
    run = RunOutcome(
        "dag", "r1", "backfill", H0, H0 + timedelta(hours=1), "failed", H0, H0,
        [task("a", "success"), task("b", "failed"), task("c", "upstream_failed"),
         task("d", "upstream_failed")],
    )  # fmt: skip

    report = run.failure_report()

    assert "b: failed — log /logs/b.log" in report
    assert "a:" not in report
    assert "(+2 tasks upstream_failed)" in report
    assert [t.task_id for t in run.failed_tasks] == ["b", "c", "d"]
