"""The pipeline benchmarks, run the way production runs: through the Airflow scheduler.

Every DAG run is created through the REST API (``dataflow.runtime.dagruns``) and executed by
the benchmark runtime's own scheduler (LocalExecutor), dag-processor and triggerer:

1. the full backfill hour (wall per stage, sustained rows/s);
2. a plain ``dbt build`` of the same project, data and interval, from the same empty dbt
   schemas, against the Cosmos ``transformations`` group;
3. the next hourly increments (1% new rows) against the full run, then a rerun of an older
   increment (a new run of that interval after the later one), then the marts against a
   ``dbt build --full-refresh`` of the same raw data;
4. a second data set with twice the history and increments of the same size: increment at
   2× history ÷ increment at 1× history.

Everything runs on the benchmark runtime's own warehouse and landing bucket, which
:func:`reset_runtime` empties first so the figures depend on the generated data only.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from datetime import datetime, timedelta

from bench_machine import load_average, wait_until_quiet

DAG_ID = "production_data_pipeline"
STAGES = ("data_ingestion", "quality_validation", "transformations", "aws_integration")
DBT_SCHEMAS = ("staging", "intermediate", "marts", "snapshots")
LANDING_PREFIX = "landing/"
PRODUCER_TASK = "transformations.dbt.dbt_producer_watcher"


class UnsafeResetError(RuntimeError):
    """The runtime is not the embedded local one; refuse to empty it."""


def drop_dbt_schemas(settings) -> None:
    import psycopg

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        for schema in DBT_SCHEMAS:
            conn.execute(f"drop schema if exists {schema} cascade")


def reset_runtime(settings) -> None:
    """Empty raw/audit tables, dbt schemas and the landing bucket of the local runtime."""
    import psycopg

    from dataflow.aws import list_keys, s3_client
    from dataflow.contracts import SOURCES
    from dataflow.warehouse import bootstrap_warehouse

    if not (settings.local_postgres and settings.local_aws):
        raise UnsafeResetError(
            "benchmarks empty the warehouse and landing bucket; run them on the embedded "
            "local runtime only (unset DATABASE_URL / DATAFLOW_LOCAL_AWS=0)"
        )
    tables = [s.raw_table for s in SOURCES.values()]
    tables += ["audit.load_audit", "audit.quarantine", "audit.validation_results"]
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        conn.execute(f"truncate {', '.join(tables)}")
    drop_dbt_schemas(settings)
    bootstrap_warehouse(settings)
    s3 = s3_client(settings)
    keys = list_keys(settings, settings.landing_bucket, LANDING_PREFIX)
    for first in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[first : first + 1000]]
        s3.delete_objects(Bucket=settings.landing_bucket, Delete={"Objects": batch})


def generate(settings, config) -> tuple[object, float]:
    """Generate the landing data; the manifest and the seconds it took."""
    from dataflow.generate import generate_landing_data

    started = time.perf_counter()
    manifest = generate_landing_data(settings, config, progress=False)
    return manifest, time.perf_counter() - started


def span_seconds(tasks) -> float | None:
    """max(end) − min(start) over ``tasks`` that ran (TaskOutcome objects)."""
    starts = [t.start for t in tasks if t.start]
    ends = [t.end for t in tasks if t.end]
    if not starts or not ends:
        return None
    return (max(ends) - min(starts)).total_seconds()


def stage_walls(tasks) -> dict[str, float | None]:
    """Wall time per task group (and of the Cosmos dbt tasks alone)."""
    walls = {
        stage: span_seconds([t for t in tasks if t.task_id.startswith(f"{stage}.")])
        for stage in STAGES
    }
    dbt_tasks = [t for t in tasks if t.task_id.startswith("transformations.dbt.")]
    walls["transformations.dbt (Cosmos dbt tasks only)"] = span_seconds(dbt_tasks)
    return walls


def slowest(tasks, count: int) -> list[tuple[str, float]]:
    """The ``count`` longest tasks as (task_id, seconds)."""
    timed = [(t.task_id, t.seconds) for t in tasks if t.seconds is not None]
    return [(name, round(s, 1)) for name, s in sorted(timed, key=lambda x: -x[1])[:count]]


def dbt_threads_of(outcome) -> int | None:
    """The producer's "Concurrency: N threads" (dbt's own report of its threads)."""
    producer = next((t for t in outcome.tasks if t.task_id == PRODUCER_TASK), None)
    if producer is None or not producer.log_path.exists():
        return None
    found = re.search(r"Concurrency: (\d+) threads", producer.log_path.read_text(errors="replace"))
    return int(found[1]) if found else None


def run_hour(settings, hour: datetime, label: str, fresh: bool = True) -> dict:
    """One scheduler run of the interval [hour, hour+1h), created through the API, timed.

    ``fresh`` deletes an earlier run of that interval first, so the run is a first attempt
    (a rerun of an existing run is a Clear, which Cosmos executes model by model).
    """
    from dataflow.runtime.dagruns import run_intervals

    quiet = wait_until_quiet(label)
    started = time.perf_counter()
    (outcome,) = run_intervals(settings, DAG_ID, [hour], fresh=fresh)
    tasks = outcome.tasks
    return {
        "hour": hour.isoformat(),
        "success": outcome.ok,
        "run_id": outcome.run_id,
        "run_type": outcome.run_type,
        "api_wall_s": round(time.perf_counter() - started, 2),
        "run_wall_s": outcome.seconds,
        "dag_run_wall_s": span_seconds(tasks),
        "stage_wall_s": stage_walls(tasks),
        "dbt_threads": dbt_threads_of(outcome),
        "task_states": {t.task_id: t.state for t in outcome.failed_tasks},
        "failure": None if outcome.ok else outcome.failure_report(),
        "slowest_tasks": slowest(tasks, 8),
        **quiet,
        "load_after": load_average(),
    }


def plain_dbt_build(settings, hour: datetime) -> dict:
    """``dbt build --vars <interval>`` from empty dbt schemas, as the DAG run started, timed."""
    from dataflow.transform import dbt_vars, run_dbt

    quiet = wait_until_quiet("plain dbt build")
    drop_dbt_schemas(settings)
    variables = json.dumps(dbt_vars(hour, hour + timedelta(hours=1)))
    started = time.perf_counter()
    run_dbt(settings, ["build", "--vars", variables])
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "threads": settings.dbt_threads,
        **quiet,
        "load_after": load_average(),
    }


def compare_with_full_refresh(settings, hour: datetime) -> dict:
    """Differing rows per mart against ``dbt build --full-refresh`` ('dbt''s function)."""
    from dataflow import transform

    compare = getattr(transform, "compare_marts_with_full_refresh", None)
    if compare is None:
        return {"skipped": "dataflow.transform.compare_marts_with_full_refresh is not on main yet"}
    started = time.perf_counter()
    differing = compare(settings, transform.dbt_vars(hour, hour + timedelta(hours=1)))
    return {"differing_rows": differing, "wall_s": round(time.perf_counter() - started, 2)}


def landed_rows(manifest, hour: datetime) -> dict[str, int]:
    """Data rows that landed for ``hour``, per source."""
    totals: dict[str, int] = {}
    for entry in manifest.files:
        if entry.hour == hour:
            totals[entry.source] = totals.get(entry.source, 0) + entry.rows
    return totals


def prepare(settings) -> list[str]:
    """Services up (Airflow's four included), dbt manifest built, before any timing.

    Returns the Airflow services this call started (the caller stops them at the end).
    """
    from dataflow.runtime import ensure_data_services
    from dataflow.runtime.airflow import start_airflow
    from dataflow.runtime.env import apply_service_env
    from dataflow.transform import build_manifest

    apply_service_env(settings)
    ensure_data_services(settings)
    reset_airflow(settings)
    build_manifest(settings)
    return start_airflow(settings)


def reset_airflow(settings) -> None:
    """No DAG runs left from an earlier, interrupted benchmark in this runtime.

    Its scheduler would resume them beside the timed phases (seen: a 10M dbt build of a killed
    run competing with the loader benchmark). Airflow's own ``db reset`` empties the metadata
    database and re-creates its tables at the current version; a runtime that never migrated
    one has nothing to reset (``start_airflow`` creates it).
    """
    from dataflow.runtime.airflow import migrated_marker, run_airflow, stop_airflow

    stop_airflow(settings)
    if migrated_marker(settings).exists():
        run_airflow(settings, "db", "reset", "--yes")


def report(label: str, entry: dict, key: str = "dag_run_wall_s") -> None:
    state = "" if entry.get("success", True) else " — FAILED"
    print(f"    {label}: {entry.get(key)} s{state}", flush=True)


def history_run(settings, config) -> dict:
    """Incremental history: full, plain dbt, increments, a rerun, then the equivalence check."""
    print("==> resetting the benchmark runtime and generating data", flush=True)
    reset_runtime(settings)
    manifest, gen_seconds = generate(settings, config)
    full_hour, *increments = manifest.hours
    result = {
        "generation_s": round(gen_seconds, 2),
        "generated_rows": manifest.rows_by_source(),
        "full_landed_rows": landed_rows(manifest, full_hour),
        "incremental_landed_rows": landed_rows(manifest, increments[0]) if increments else {},
    }
    print(f"==> full backfill run for {full_hour:%Y-%m-%d %H:00}", flush=True)
    result["full"] = run_hour(settings, full_hour, "full DAG run")
    report("full run", result["full"])
    return result | {"_manifest": manifest}


def run_pipeline(settings, config, skip_incremental: bool, skip_dbt: bool) -> dict:
    """The 1× history data set: full run, plain dbt build, increments, rerun, equivalence."""
    result = history_run(settings, config)
    manifest = result.pop("_manifest")
    full_hour, *increments = manifest.hours
    if not result["full"]["success"]:
        return result
    if not skip_dbt:
        print("==> plain dbt build of the same interval, from empty dbt schemas", flush=True)
        result["plain_dbt"] = plain_dbt_build(settings, full_hour)
        report("plain dbt build", result["plain_dbt"], "wall_s")
    if skip_incremental or not increments:
        return result
    print(f"==> hourly increment run for {increments[0]:%Y-%m-%d %H:00}", flush=True)
    result["incremental"] = run_hour(settings, increments[0], "incremental DAG run")
    report("increment", result["incremental"])
    for extra in increments[1:]:
        result.setdefault("later_increments", []).append(
            run_hour(settings, extra, "later increment")
        )
    print(f"==> rerun of the older increment {increments[0]:%H:00}", flush=True)
    result["rerun"] = run_hour(settings, increments[0], "rerun of an interval")
    report("rerun", result["rerun"])
    print("==> marts against dbt build --full-refresh of the same raw data", flush=True)
    result["equivalence"] = compare_with_full_refresh(settings, increments[-1])
    print(f"    {result['equivalence']}", flush=True)
    return result


def run_double_history(settings, config) -> dict:
    """Twice the backfill, increments of the same absolute size: the 2× history data set."""
    doubled = replace(
        config,
        transactions=config.transactions * 2,
        increment_fraction=config.increment_fraction / 2,
        increment_hours=1,
    )
    result = history_run(settings, doubled)
    manifest = result.pop("_manifest")
    if result["full"]["success"] and len(manifest.hours) > 1:
        print(f"==> increment at 2× history for {manifest.hours[1]:%Y-%m-%d %H:00}", flush=True)
        result["incremental"] = run_hour(settings, manifest.hours[1], "increment at 2x history")
        report("increment at 2× history", result["incremental"])
    return result
