"""Tasks of the ``events_microbatch`` DAG (the logic is in :mod:`dataflow.streaming.microbatch`)."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import TaskGroup, task

from dataflow.settings import get_settings


def _fail_fast(exc: Exception) -> Exception:
    from airflow.sdk.exceptions import AirflowFailException

    return AirflowFailException(str(exc))


@task.short_circuit(execution_timeout=timedelta(minutes=30))
def load_announced_event_files(triggering_asset_events=None, run_id=None) -> list[str]:
    """Load exactly the event files this run's S3 notifications name; returns the loaded keys.

    None named (only ``s3:TestEvent``, other prefixes) or none still in the bucket: the rest
    of the run is skipped. A named file that is gone costs only itself (logged, not loaded).
    """
    from dataflow.ingest import HeaderMismatchError
    from dataflow.streaming.microbatch import keys_from_asset_events, load_event_files

    settings = get_settings()
    events = [e for events in (triggering_asset_events or {}).values() for e in events]
    keys = keys_from_asset_events(settings, events)
    if not keys:
        return []
    try:
        result = load_event_files(settings, keys, run_id)
    except HeaderMismatchError as exc:
        raise _fail_fast(exc) from exc
    return [key for key in keys if key not in result["files_missing"]]


@task
def validate_events(keys: list[str], run_id=None) -> list[dict]:
    """The events GX suite on the landing hours of the files; critical failures stop the run."""
    from dataflow.quality import CriticalExpectationsFailed, check_critical
    from dataflow.streaming.microbatch import validate_landing_hours

    summaries = validate_landing_hours(get_settings(), keys, run_id)
    try:
        check_critical(summaries)
    except CriticalExpectationsFailed as exc:
        raise _fail_fast(exc) from exc
    return summaries


def events_models() -> TaskGroup:
    """The events models (dbt, rendered by Cosmos like the batch DAG's)."""
    from cosmos import DbtTaskGroup

    from dataflow.streaming.microbatch import events_dbt_configs

    return DbtTaskGroup(group_id="events_models", **events_dbt_configs(get_settings()))
