"""The events_microbatch DAG: scheduled by its asset's SQS watcher, load → validate → models."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def dag(dbt_manifest):
    from airflow.dag_processing.dagbag import DagBag

    from dataflow.settings import get_settings

    bag = DagBag(dag_folder=str(get_settings().dags_folder / "events_microbatch.py"))
    assert bag.import_errors == {}
    return bag.dags["events_microbatch"]


def test_it_is_scheduled_by_the_landing_events_queue_watcher(dag):
    from dataflow.settings import get_settings
    from dataflow.streaming.names import queue_url

    settings = get_settings()
    (asset,) = dag.timetable.asset_condition.objects
    (watcher,) = asset.watchers
    trigger = watcher.trigger.trigger  # the SQS trigger behind the common-messaging one

    assert type(trigger).__name__ == "SqsSensorTrigger"
    assert trigger.sqs_queue == queue_url(settings, settings.stream.landing_events_queue)
    assert trigger.delete_message_on_reception is True
    assert dag.max_active_runs == 1 and dag.catchup is False


def test_files_are_loaded_then_validated_then_built_with_their_tests(dag):
    load = dag.get_task("load_announced_event_files")
    validate = dag.get_task("validate_events")

    assert load.downstream_task_ids == {"validate_events"}
    batch = dag.get_task("events_models.int_transform_batches_model_build")
    files = dag.get_task("events_models.int_landed_files_tracked_model_build")
    events = dag.get_task("events_models.stg_raw__events_model_build")
    # a new batch, the file loads it saw, then the events models read their changed files
    assert validate.downstream_task_ids == {batch.task_id}
    assert files.task_id in batch.downstream_task_ids
    assert events.task_id in files.downstream_task_ids
