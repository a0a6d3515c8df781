"""The ``events_microbatch`` DAG: event files that land reach ``raw.events`` within minutes.

S3 ObjectCreated notifications of ``landing/events/`` go to an SQS queue (the landing
bucket's ``NotificationConfiguration`` in the storage stack); an ``AssetWatcher`` on the
common-messaging SQS trigger, run by the triggerer, turns each batch of messages into an
asset event whose payload carries them. Each run loads exactly the files those messages
name, with the batch path's own loader (``ingest.load_files``: same quarantine, same audit,
and file-level idempotency, so the hourly ``production_data_pipeline`` passing over the same
hour later never loads a file's rows twice), runs the events GX suite on the landing hours
it touched, and builds the events models.

The trigger deletes messages once it has turned them into an asset event; a failed run is
rerun (Clear) with the same asset events, and any event file the micro-batch never saw is still
loaded by the hourly run of its hour.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from dataflow.settings import Settings
from dataflow.streaming.names import EVENTS_LAKE_PREFIX, queue_url

DAG_ID = "events_microbatch"
ASSET_NAME = "landing_events_files"
WATCHER_NAME = "landing_events_queue"
EVENTS_MODELS = ("stg_raw__events",)  # the dbt models built from raw.events


# --- parse time: the asset and its watcher (no AWS call) ------------------------------------
def landing_events_asset(settings: Settings):
    """The asset of event files, watched through the landing-events SQS queue."""
    from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger
    from airflow.sdk import Asset, AssetWatcher

    trigger = MessageQueueTrigger(
        scheme="sqs",
        sqs_queue=queue_url(settings, settings.stream.landing_events_queue),
        aws_conn_id="aws_default",
        region_name=settings.aws_region,
        max_messages=10,
        num_batches=10,
        wait_time_seconds=1,
        waiter_delay=settings.stream.microbatch_poll_seconds,
    )
    return Asset(
        name=ASSET_NAME,
        uri=f"s3://{settings.landing_bucket}/{EVENTS_LAKE_PREFIX}",
        watchers=[AssetWatcher(name=WATCHER_NAME, trigger=trigger)],
    )


# --- run time ------------------------------------------------------------------------------
def keys_from_asset_events(settings: Settings, asset_events) -> list[str]:
    """Event-file keys named by the S3 notifications in the triggering asset events."""
    keys: set[str] = set()
    for event in asset_events:
        extra = getattr(event, "extra", None) or {}
        payload = extra.get("payload") or {}
        for message in payload.get("message_batch", []):
            keys.update(keys_from_s3_notification(settings, message.get("Body", "")))
    return sorted(keys)


def keys_from_s3_notification(settings: Settings, body: str) -> list[str]:
    """The created event-file keys of one S3 notification (``s3:TestEvent`` names none)."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError:
        return []
    keys = []
    for record in document.get("Records", []) if isinstance(document, dict) else []:
        s3 = record.get("s3", {})
        key = unquote_plus(s3.get("object", {}).get("key", ""))
        if (
            record.get("eventName", "").startswith("ObjectCreated")
            and s3.get("bucket", {}).get("name") == settings.landing_bucket
            and key.startswith(EVENTS_LAKE_PREFIX)
        ):
            keys.append(key)
    return keys


def load_event_files(settings: Settings, keys: list[str], run_id: str | None) -> dict[str, Any]:
    """Load exactly these files into ``raw.events`` (quarantine, audit, per-file idempotency)."""
    from dataflow.ingest import load_files

    return load_files(settings, "events", keys, run_id=run_id).to_dict()


def landing_hours(keys: list[str]) -> list[datetime]:
    """The landing hours (``_interval_start``) of ``keys``: ``landing/events/<date>/<HH>/...``."""
    from datetime import UTC

    hours = set()
    for key in keys:
        parts = key.split("/")
        hours.add(datetime.strptime(f"{parts[2]} {parts[3]}", "%Y-%m-%d %H").replace(tzinfo=UTC))
    return sorted(hours)


def validate_landing_hours(settings: Settings, keys: list[str], run_id: str | None) -> list[dict]:
    """The events GX suite on each landing hour the files belong to (results recorded)."""
    from dataflow import quality

    return [
        quality.validate_source(
            settings, "events", hour, run_id, interval_end=hour + timedelta(hours=1)
        )
        for hour in landing_hours(keys)
    ]


def events_dbt_configs(settings: Settings) -> dict[str, Any]:
    """Cosmos configuration of the batch DAG, narrowed to the events models.

    ``dbt build`` per model (its tests in the same task), executed locally in the task
    (``ExecutionMode.LOCAL``, in-process dbt runner): for a few small models one task each
    starts sooner than the batch DAG's watcher producer plus consumers, on a path measured in
    minutes. No interval vars: an asset-triggered run has no data interval, and the events
    models read all of ``raw.events``.
    """
    import dataclasses

    from cosmos import ExecutionConfig
    from cosmos.constants import ExecutionMode, InvocationMode, TestBehavior

    from dataflow.pipeline.dbt import cosmos_configs

    configs = cosmos_configs(settings)
    configs["render_config"] = dataclasses.replace(
        configs["render_config"],
        # with their ancestors: the incremental bookkeeping they read their changed files from
        # (a new batch, then the file loads it saw; dbt/README.md), built first
        select=[f"+{model}" for model in EVENTS_MODELS],
        test_behavior=TestBehavior.BUILD,
    )
    configs["execution_config"] = ExecutionConfig(
        execution_mode=ExecutionMode.LOCAL, invocation_mode=InvocationMode.DBT_RUNNER
    )
    configs["operator_args"] = {"install_deps": False}
    return configs
