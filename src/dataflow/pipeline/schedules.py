"""The DAGs' schedules, and how the local runtime keeps the wall clock out of them.

On a deployed platform the scheduler creates the hourly (and 15-minute) runs on its own
clock. Locally the landing data sits at the generator's hours, not at the wall clock's, so by
default (``DATAFLOW_AUTO_SCHEDULE`` unset or ``0``) the time-based DAGs get an *on-demand*
variant of their timetable: the same data intervals for backfills (the demo, the benchmarks,
the tests), manual triggers and the UI, but no runs the scheduler would start by itself.

This is done in the timetable, not with ``[scheduler] use_job_schedule = False``, because that
switch also stops asset-triggered runs — the ``events_microbatch`` DAG, which the landing
bucket's S3 notifications trigger, must run locally as it does on AWS.

How it works: the scheduler asks a timetable for the next automated run with the DAG's own
restriction (``catchup=False`` for every DAG here); a backfill asks with ``catchup=True``. The
on-demand timetables answer only the second. The classes are registered with Airflow by
``airflow/plugins/dataflow_timetables.py`` (custom timetables must be, to be deserialized).
"""

from __future__ import annotations

from airflow.timetables.base import DagRunInfo, TimeRestriction
from airflow.timetables.interval import CronDataIntervalTimetable
from airflow.timetables.trigger import CronTriggerTimetable

from dataflow.settings import Settings


class _OnDemand:
    """Mixin: no automated runs (``restriction.catchup`` False); backfills as the base class."""

    def next_dagrun_info_v2(
        self, *, last_dagrun_info: DagRunInfo | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        if not restriction.catchup:
            return None
        return super().next_dagrun_info_v2(
            last_dagrun_info=last_dagrun_info, restriction=restriction
        )

    @property
    def summary(self) -> str:
        return f"{super().summary} (on demand)"


class OnDemandCronDataIntervalTimetable(_OnDemand, CronDataIntervalTimetable):
    """Cron data intervals for backfills and triggers; the scheduler starts none by itself."""


class OnDemandCronTriggerTimetable(_OnDemand, CronTriggerTimetable):
    """Cron trigger times for backfills and triggers; the scheduler starts none by itself."""


ON_DEMAND_TIMETABLES = (OnDemandCronDataIntervalTimetable, OnDemandCronTriggerTimetable)


def hourly_intervals(settings: Settings):
    """``[t, t+1h)`` data intervals in UTC (``production_data_pipeline``)."""
    kind = (
        CronDataIntervalTimetable if settings.auto_schedule else OnDemandCronDataIntervalTimetable
    )
    return kind("@hourly", timezone="UTC")


def every_15_minutes(settings: Settings):
    """A run every 15 minutes in UTC (``monitoring_and_alerting``)."""
    kind = CronTriggerTimetable if settings.auto_schedule else OnDemandCronTriggerTimetable
    return kind("*/15 * * * *", timezone="UTC")
