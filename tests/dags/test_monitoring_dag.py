"""The monitoring DAG's shape, and update_monitoring_metrics as the production pipeline's end."""

from __future__ import annotations

from datetime import timedelta

import pytest

CHECKS = {
    "check_system_health",
    "monitor_data_freshness",
    "collect_quality_metrics",
    "monitor_performance",
}


@pytest.fixture(scope="module")
def dagbag(dbt_manifest):
    from airflow.dag_processing.dagbag import DagBag

    from dataflow.settings import get_settings

    return DagBag(dag_folder=str(get_settings().dags_folder))


def test_monitoring_dag_runs_every_15_minutes_one_at_a_time(dagbag):
    import pendulum
    from airflow.serialization.encoders import coerce_to_core_timetable

    dag = dagbag.dags["monitoring_and_alerting"]
    assert dag.max_active_runs == 1 and dag.catchup is False
    timetable = coerce_to_core_timetable(dag.timetable)
    first = timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=_restriction(pendulum.datetime(2026, 12, 1, 12, 1, tz="UTC")),
    )
    assert first.run_after == pendulum.datetime(2026, 12, 1, 12, 15, tz="UTC")
    assert dag.dagrun_timeout < timedelta(minutes=15)


def _restriction(earliest):
    from airflow.timetables.base import TimeRestriction

    return TimeRestriction(earliest=earliest, latest=None, catchup=True)


def test_generate_alerts_waits_for_every_check_and_runs_even_if_one_failed(dagbag):
    dag = dagbag.dags["monitoring_and_alerting"]
    assert {t.task_id for t in dag.tasks} == CHECKS | {"generate_alerts"}
    alerts = dag.get_task("generate_alerts")
    assert alerts.upstream_task_ids == CHECKS
    assert alerts.trigger_rule == "all_done"


def test_update_monitoring_metrics_is_the_production_pipelines_last_task(dagbag):
    dag = dagbag.dags["production_data_pipeline"]
    task = dag.get_task("monitoring.update_monitoring_metrics")
    assert task.downstream_task_ids == set()
    upstream = {t.task_id for t in task.get_flat_relatives(upstream=True)}
    assert "transformations.publish_dbt_docs" in upstream
    assert "data_ingestion.load_transactions" in upstream
    groups = [g for g in dag.task_group.children if "." not in g]
    assert groups[-1] == "monitoring"
