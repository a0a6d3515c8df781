"""DagBag integrity: every DAG file imports cleanly and follows the platform's rules."""

from __future__ import annotations

import pytest

EXPECTED_GROUPS = [
    "data_ingestion",
    "quality_validation",
    "transformations",
    "aws_integration",
    "monitoring",
]


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


DBT = "transformations.dbt"


def manifest_nodes():
    import json

    from dataflow.settings import get_settings

    return json.loads(get_settings().dbt_manifest_path.read_text())["nodes"].values()


def test_every_model_is_a_task_with_its_tests_after_it(dagbag):
    dag = dagbag.dags["production_data_pipeline"]
    nodes = list(manifest_nodes())
    models = {n["unique_id"]: n["name"] for n in nodes if n["resource_type"] == "model"}
    tested = {p for n in nodes if n["resource_type"] == "test" for p in n["depends_on"]["nodes"]}
    assert len(models) >= 10
    for unique_id, name in models.items():
        if unique_id in tested:  # a model with tests is a group: <model>.run, <model>.test
            run = dag.get_task(f"{DBT}.{name}.run")
        else:  # an untested model is one task
            run = dag.get_task(f"{DBT}.{name}_run")
        assert run.model_unique_id == unique_id
        if unique_id in tested:
            test = dag.get_task(f"{DBT}.{name}.test")
            assert run.task_id in test.upstream_task_ids


def test_one_dbt_build_runs_the_project_and_the_model_tasks_watch_it(dagbag):
    dag = dagbag.dags["production_data_pipeline"]
    producer = dag.get_task(f"{DBT}.dbt_producer_watcher")
    assert type(producer).__name__ == "DbtProducerWatcherOperator"
    assert producer.base_cmd == ["build"]
    watchers = [t for t in dag.tasks if t.task_id.startswith(DBT) and hasattr(t, "model_unique_id")]
    assert watchers and all(t.deferrable for t in watchers), "consumers wait in the triggerer"
    assert "quality_validation.enforce_critical_expectations" in producer.upstream_task_ids


def rendered_full_refresh(dag, start, end, params=None):
    producer = dag.get_task(f"{DBT}.dbt_producer_watcher")
    context = {"data_interval_start": start, "data_interval_end": end, "params": params or {}}
    return producer.render_template(producer.full_refresh, context, dag.get_template_env())


def test_the_run_after_midnight_utc_passes_full_refresh_to_dbt(dagbag):
    import pendulum

    dag = dagbag.dags["production_data_pipeline"]
    midnight = pendulum.datetime(2026, 11, 2, tz="UTC")

    assert rendered_full_refresh(dag, midnight.subtract(hours=1), midnight) == "True"
    assert rendered_full_refresh(dag, midnight, midnight.add(hours=1)) == "False"
    assert rendered_full_refresh(dag, midnight, midnight.add(hours=1), {"full_refresh": True}) == (
        "True"
    )
