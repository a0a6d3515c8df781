"""On-demand timetables: backfills and manual triggers as the base timetable, no automated runs."""

from __future__ import annotations

from dataclasses import replace

import pendulum
import pytest
from airflow.timetables.base import TimeRestriction
from airflow.timetables.interval import CronDataIntervalTimetable
from airflow.timetables.trigger import CronTriggerTimetable

from dataflow.pipeline.schedules import (
    OnDemandCronDataIntervalTimetable,
    every_15_minutes,
    hourly_intervals,
)
from dataflow.settings import load_settings

START = pendulum.datetime(2026, 11, 30, 1, tz="UTC")
END = pendulum.datetime(2026, 11, 30, 4, tz="UTC")


def infos(timetable, catchup: bool):
    restriction = TimeRestriction(START, END, catchup=catchup)
    found, info = [], None
    while info := timetable.next_dagrun_info_v2(last_dagrun_info=info, restriction=restriction):
        found.append(info.data_interval)
    return found


@pytest.mark.parametrize("make", [hourly_intervals, every_15_minutes])
def test_locally_the_scheduler_gets_no_automated_run(make):
    timetable = make(load_settings({}))
    on_the_clock = TimeRestriction(START, None, catchup=False)
    assert timetable.next_dagrun_info_v2(last_dagrun_info=None, restriction=on_the_clock) is None


@pytest.mark.parametrize(
    ("make", "base"),
    [
        (hourly_intervals, CronDataIntervalTimetable("@hourly", timezone="UTC")),
        (every_15_minutes, CronTriggerTimetable("*/15 * * * *", timezone="UTC")),
    ],
)
def test_backfills_and_manual_runs_get_the_base_timetables_intervals(make, base):
    timetable = make(load_settings({}))
    assert infos(timetable, catchup=True) == infos(base, catchup=True)
    assert len(infos(timetable, catchup=True)) >= 4
    run_after = pendulum.datetime(2026, 11, 30, 5, 7, tz="UTC")
    assert timetable.infer_manual_data_interval(
        run_after=run_after
    ) == base.infer_manual_data_interval(run_after=run_after)


def test_with_auto_schedule_the_base_timetable_schedules_as_deployed():
    settings = replace(load_settings({}), auto_schedule=True)
    timetable = hourly_intervals(settings)
    assert type(timetable) is CronDataIntervalTimetable
    on_the_clock = TimeRestriction(START, None, catchup=False)
    assert timetable.next_dagrun_info_v2(last_dagrun_info=None, restriction=on_the_clock)


def test_the_on_demand_timetable_survives_serialization():
    timetable = OnDemandCronDataIntervalTimetable("@hourly", timezone="UTC")
    again = OnDemandCronDataIntervalTimetable.deserialize(timetable.serialize())
    assert type(again) is OnDemandCronDataIntervalTimetable
    on_the_clock = TimeRestriction(START, None, catchup=False)
    assert again.next_dagrun_info_v2(last_dagrun_info=None, restriction=on_the_clock) is None
