"""The two tasks of ``aws_integration`` as plain functions (importable without Airflow).

- :func:`run_features_locally`: ``trigger_glue_etl`` in ``local`` mode — the job script under
  ``spark-submit`` into a staging folder, then published to a new snapshot in the lake bucket.
  In ``aws`` mode the task is ``glue_operator.CustomerFeaturesGlueJobOperator``; both
  return the same shape, :func:`trigger_result`.
- :func:`register_lake_partitions`: the snapshot into the Glue Data Catalog
  (:func:`dataflow.features.catalog.register_snapshot`).
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime

from dataflow.features import lake
from dataflow.settings import Settings
from dataflow.timeutil import to_utc


def marts_as_of(settings: Settings, interval_end: datetime) -> datetime:
    """The as_of the features are computed at: the marts' own (``customer_360.as_of``).

    The marts are as of the end of the latest interval loaded so far, which a rerun of an older
    interval keeps (dbt/README.md); ``interval_end`` is the answer only before any mart exists.
    """
    import psycopg

    with psycopg.connect(settings.warehouse_url) as conn:
        try:
            (as_of,) = conn.execute("select max(as_of) from marts.customer_360").fetchone()
        except psycopg.errors.UndefinedTable:
            as_of = None
    return to_utc(as_of if as_of is not None else interval_end)


def trigger_result(snapshot_id: str, as_of: datetime, **details) -> dict:
    """What ``trigger_glue_etl`` hands to ``register_lake_partitions`` (XCom, JSON)."""
    return {"snapshot_id": snapshot_id, "as_of": to_utc(as_of).isoformat(), **details}


def run_features_locally(settings: Settings, as_of: datetime) -> dict:
    """Run the job on local Spark for ``as_of`` and publish its output as a new snapshot."""
    from dataflow.features.local import run_local_job, staging_dir

    as_of = to_utc(as_of)
    snapshot_id = lake.new_snapshot_id(as_of)
    run = run_local_job(settings, as_of, snapshot_id)
    started = time.perf_counter()
    features = lake.publish_folder(
        settings, run.features_dir, lake.snapshot_prefix(lake.FEATURES_ROOT, snapshot_id)
    )
    summary = lake.publish_folder(
        settings, run.summary_dir, lake.snapshot_prefix(lake.SUMMARY_ROOT, snapshot_id)
    )
    publish_seconds = round(time.perf_counter() - started, 3)
    shutil.rmtree(staging_dir(settings, snapshot_id), ignore_errors=True)
    job_seconds = run.report.get("seconds", {})
    in_job = sum(v for k, v in job_seconds.items() if k != "session")
    return trigger_result(
        snapshot_id,
        as_of,
        mode="local",
        rows=run.report.get("rows"),
        summary=run.report.get("summary"),
        files=len(features) + len(summary),
        seconds={
            # JVM and Python start, session, stop: the spark-submit time outside the phases.
            "startup": round(run.seconds - in_job, 3),
            **{k: v for k, v in job_seconds.items() if k != "session"},
            "publish": publish_seconds,
        },
    )


def register_lake_partitions(settings: Settings, result: dict) -> dict:
    """Register the snapshot ``result`` names (from ``trigger_glue_etl``) in the catalog."""
    from dataflow.features.catalog import register_snapshot
    from dataflow.features.job import parse_instant

    registration = register_snapshot(
        settings, result["snapshot_id"], parse_instant(result["as_of"])
    )
    return registration.to_dict()
