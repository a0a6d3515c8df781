"""DagBag integrity: every DAG file imports cleanly and follows the platform's rules."""

from __future__ import annotations

import pytest

EXPECTED_GROUPS = ["data_ingestion", "quality_validation", "transformations"]


@pytest.fixture(scope="module")
def dagbag(dbt_manifest):
    from airflow.dag_processing.dagbag import DagBag

    from dataflow.settings import get_settings

    return DagBag(dag_folder=str(get_settings().dags_folder))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert dagbag.dags, "no DAGs were found"


def test_every_dag_has_tags_retries_and_no_catchup(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.catchup is False, f"{dag_id} must set catchup=False"
        assert dag.doc_md, f"{dag_id} has no doc_md for operators"
        for task in dag.tasks:
            assert task.retries >= 2, f"{dag_id}.{task.task_id} has retries={task.retries}"
            assert task.owner != "airflow", f"{dag_id}.{task.task_id} has no owner"


def test_production_pipeline_shape(dagbag):
    dag = dagbag.dags["production_data_pipeline"]
    assert dag.max_active_runs == 1
    assert dag.default_args["retry_exponential_backoff"] is True
    groups = [g for g in dag.task_group.children if g in EXPECTED_GROUPS]
    assert groups == EXPECTED_GROUPS
    # Groups run in order: every ingestion task precedes the quality gate, which precedes dbt.
    gate = dag.get_task("quality_validation.enforce_critical_expectations")
    assert "data_ingestion.load_transactions" in {
        t.task_id for t in gate.get_flat_relatives(upstream=True)
    }
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("transformations.dbt.")]
    assert dbt_tasks, "Cosmos rendered no dbt tasks"
    assert all(
        gate.task_id in {u.task_id for u in t.get_flat_relatives(upstream=True)} for t in dbt_tasks
    )


def test_hourly_data_intervals_are_one_hour_wide(dagbag):
    from datetime import timedelta

    import pendulum
    from airflow.serialization.encoders import coerce_to_core_timetable

    timetable = coerce_to_core_timetable(dagbag.dags["production_data_pipeline"].timetable)
    run_after = pendulum.datetime(2026, 11, 1, 5, tz="UTC")
    interval = timetable.infer_manual_data_interval(run_after=run_after)
    assert interval.end - interval.start == timedelta(hours=1)
    assert interval.start == pendulum.datetime(2026, 11, 1, 4, tz="UTC")


def test_data_docs_are_retried_on_their_own_and_block_nothing(dagbag):
    dag = dagbag.dags["production_data_pipeline"]
    docs = dag.get_task("publish_data_docs")

    validated = ("customers", "products", "transactions")
    assert {t.task_id for t in docs.upstream_list} == {
        f"quality_validation.validate_{source}" for source in validated
    }
    assert docs.trigger_rule == "all_done" and docs.retries >= 3
    assert docs.downstream_list == []  # a failure shows on the task and the run, waits on nothing
    for task in dag.tasks:
        if task.task_id.startswith(("quality_validation.", "transformations.")):
            assert docs.task_id not in {t.task_id for t in task.get_flat_relatives(upstream=True)}
