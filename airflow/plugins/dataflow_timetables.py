"""Airflow plugin: the local runtime's on-demand timetables (dataflow.pipeline.schedules)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from dataflow.pipeline.schedules import ON_DEMAND_TIMETABLES


class DataflowTimetablesPlugin(AirflowPlugin):
    name = "dataflow_timetables"
    timetables = list(ON_DEMAND_TIMETABLES)
