"""The daily safety-net full refresh: which runs pass ``--full-refresh`` to dbt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dataflow.pipeline.dbt import crosses_daily_hour, dbt_full_refresh


def hour(day: int, h: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, h, minute, tzinfo=UTC)


def test_the_hourly_run_ending_at_midnight_is_the_full_refresh_run():
    assert crosses_daily_hour(hour(1, 23), hour(2, 0), hour=0)


@pytest.mark.parametrize("start", [hour(2, 0), hour(2, 1), hour(1, 22)])
def test_other_hourly_runs_are_incremental(start):
    assert not crosses_daily_hour(start, start + timedelta(hours=1), hour=0)


def test_the_refresh_hour_is_configurable():
    assert crosses_daily_hour(hour(2, 5), hour(2, 6), hour=6)
    assert not crosses_daily_hour(hour(1, 23), hour(2, 0), hour=6)


def test_an_interval_of_any_width_or_offset_that_spans_the_hour_refreshes():
    assert crosses_daily_hour(hour(1, 23, 30), hour(2, 0, 30), hour=0)
    assert crosses_daily_hour(hour(1, 12), hour(2, 12), hour=0)  # a daily interval
    assert not crosses_daily_hour(hour(2, 0, 30), hour(2, 1, 30), hour=0)


def test_no_refresh_hour_means_never():
    assert not crosses_daily_hour(hour(1, 23), hour(2, 0), hour=None)


def test_a_run_triggered_with_full_refresh_refreshes_at_any_hour():
    assert dbt_full_refresh(hour(2, 10), hour(2, 11), {"full_refresh": True})
    assert not dbt_full_refresh(hour(2, 10), hour(2, 11), {"full_refresh": False})


class RecordingTaskInstance:
    def __init__(self):
        self.pushed = []

    def xcom_push(self, key, value):
        self.pushed.append(key)


def dbt_event(name: str) -> dict:
    node = {"unique_id": "model.dataflow.customer_360", "node_status": "success"}
    return {"info": {"name": name, "msg": name}, "data": {"node_info": node}}


def test_the_producer_publishes_only_terminal_node_events():
    from cosmos.operators._watcher.base import _process_dbt_log_event

    from dataflow.pipeline.dbt import trim_watcher_event_pushes

    assert trim_watcher_event_pushes(), "checked against Cosmos 1.15.1 only"
    ti = RecordingTaskInstance()

    for name in ("NodeStart", "NodeCompiling", "NodeExecuting", "NodeFinished", "RunResultError"):
        _process_dbt_log_event(ti, dbt_event(name))

    assert ti.pushed == ["model__dataflow__customer_360_dbt_event"] * 2
