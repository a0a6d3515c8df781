"""
### events_microbatch

Event files that land in `s3://<landing bucket>/landing/events/` reach `raw.events` and the
events models within minutes, without waiting for the hourly run.

S3 ObjectCreated notifications go to an SQS queue; an **AssetWatcher** (common-messaging SQS
trigger, run by the triggerer) turns them into events of the asset `landing_events_files`,
which schedule this DAG. Each run:

- **`load_announced_event_files`** — loads exactly the files the notifications name with the
  batch loader (same quarantine, same `audit.load_audit`; file-level idempotency: the hourly
  `production_data_pipeline` passing over the same hour never loads a file's rows twice); none
  named (e.g. S3's test event): the run stops here;
- **`validate_events`** — the events Great Expectations suite on the files' landing hours;
- **`events_models`** — the events dbt models (Cosmos, `dbt build` per model).

Runbook: `docs/streaming.md`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import chain, dag

from dataflow.settings import get_settings
from dataflow.streaming.dag_tasks import events_models, load_announced_event_files, validate_events
from dataflow.streaming.microbatch import DAG_ID, landing_events_asset

DEFAULT_ARGS = {
    "owner": "data-platform",
    "retries": 2,
    "retry_delay": timedelta(seconds=20),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=5),
}


@dag(
    dag_id=DAG_ID,
    schedule=[landing_events_asset(get_settings())],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    dagrun_timeout=timedelta(minutes=30),
    tags=["dataflow", "streaming", "production"],
    doc_md=__doc__,
)
def events_microbatch():
    keys = load_announced_event_files()
    chain(validate_events(keys), events_models())


events_microbatch()
