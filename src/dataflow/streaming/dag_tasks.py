"""Tasks of the ``events_microbatch`` DAG (the logic is in :mod:`dataflow.streaming.microbatch`)."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import TaskGroup, task

from dataflow.settings import get_settings


def _fail_fast(exc: Exception) -> Exception:
    from airflow.sdk.exceptions import AirflowFailException

    return AirflowFailException(str(exc))


@task.short_circuit
def announced_event_files(triggering_asset_events=None) -> list[str]:
    """The event files the S3 notifications of this run name (none: skip the run's work)."""
    from dataflow.streaming.microbatch import keys_from_asset_events

    events = [e for events in (triggering_asset_events or {}).values() for e in events]
    return keys_from_asset_events(get_settings(), events)


@task(execution_timeout=timedelta(minutes=30))
def load_event_files(keys: list[str], run_id=None) -> dict:
    """Load exactly these files into ``raw.events``."""
    from dataflow.ingest import HeaderMismatchError
    from dataflow.streaming.microbatch import load_event_files as load

    try:
        return load(get_settings(), keys, run_id)
    except HeaderMismatchError as exc:
        raise _fail_fast(exc) from exc


@task
def validate_events(keys: list[str], loaded: dict, run_id=None) -> list[dict]:
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
