"""The pipeline benchmarks: full DAG run, hourly increment, plain ``dbt build``.

Everything runs on the benchmark runtime's own warehouse and landing bucket, which
:func:`reset_runtime` empties first so the figures depend on the generated data only.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

from bench_machine import load_average, wait_until_quiet

DAG_ID = "production_data_pipeline"
STAGES = ("data_ingestion", "quality_validation", "transformations", "aws_integration")
DBT_SCHEMAS = ("staging", "intermediate", "marts", "snapshots")
LANDING_PREFIX = "landing/"


class UnsafeResetError(RuntimeError):
    """The runtime is not the embedded local one; refuse to empty it."""


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
        for schema in DBT_SCHEMAS:
            conn.execute(f"drop schema if exists {schema} cascade")
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


def parse_time(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def span_seconds(tasks: list[dict]) -> float | None:
    """max(end) − min(start) over ``tasks`` that ran."""
    starts = [parse_time(t["start_date"]) for t in tasks if t["start_date"]]
    ends = [parse_time(t["end_date"]) for t in tasks if t["end_date"]]
    if not starts or not ends:
        return None
    return (max(ends) - min(starts)).total_seconds()


def stage_walls(tasks: list[dict]) -> dict[str, float | None]:
    """Wall time per task group (and of the Cosmos dbt tasks alone)."""
    walls = {
        stage: span_seconds([t for t in tasks if t["task_id"].startswith(f"{stage}.")])
        for stage in STAGES
    }
    dbt_tasks = [t for t in tasks if t["task_id"].startswith("transformations.dbt.")]
    walls["transformations.dbt (Cosmos dbt tasks only)"] = span_seconds(dbt_tasks)
    return walls


def run_hour(settings, hour: datetime, label: str) -> dict:
    """One ``airflow dags test`` run for the interval [hour, hour+1h), timed."""
    from dataflow.runtime.airflow import latest_runs, run_dag_test, task_states

    quiet = wait_until_quiet(label)
    interval_end = hour + timedelta(hours=1)
    log = settings.run_dir / "bench" / f"{DAG_ID}_{hour:%Y%m%dT%H}.log"
    started = time.perf_counter()
    ok = run_dag_test(settings, DAG_ID, interval_end, log)
    cli_wall = time.perf_counter() - started
    run = latest_runs(settings, DAG_ID)[0]
    tasks = task_states(settings, DAG_ID, run["run_id"])
    return {
        "hour": hour.isoformat(),
        "success": ok,
        "log": str(log),
        "run_id": run["run_id"],
        "dags_test_wall_s": round(cli_wall, 2),
        "dag_run_wall_s": span_seconds(tasks),
        "stage_wall_s": stage_walls(tasks),
        "task_states": {t["task_id"]: t["state"] for t in tasks if t["state"] != "success"},
        "slowest_tasks": slowest(tasks, 8),
        **quiet,
        "load_after": load_average(),
    }


def slowest(tasks: list[dict], count: int) -> list[tuple[str, float]]:
    """The ``count`` longest tasks as (task_id, seconds)."""
    timed = [
        (t["task_id"], (parse_time(t["end_date"]) - parse_time(t["start_date"])).total_seconds())
        for t in tasks
        if t["start_date"] and t["end_date"]
    ]
    return [(name, round(s, 1)) for name, s in sorted(timed, key=lambda x: -x[1])[:count]]


def plain_dbt_build(settings, hour: datetime) -> dict:
    """``dbt build --vars <interval>`` of the same project and data, timed."""
    from dataflow.transform import dbt_vars, run_dbt

    quiet = wait_until_quiet("plain dbt build")
    variables = json.dumps(dbt_vars(hour, hour + timedelta(hours=1)))
    started = time.perf_counter()
    run_dbt(settings, ["build", "--vars", variables])
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        **quiet,
        "load_after": load_average(),
    }


def landed_rows(manifest, hour: datetime) -> dict[str, int]:
    """Data rows that landed for ``hour``, per source."""
    totals: dict[str, int] = {}
    for entry in manifest.files:
        if entry.hour == hour:
            totals[entry.source] = totals.get(entry.source, 0) + entry.rows
    return totals


def prepare(settings) -> None:
    """Services up, Airflow DB migrated, dbt manifest built (before any timing)."""
    from dataflow.runtime import ensure_data_services
    from dataflow.runtime.airflow import ensure_airflow_db
    from dataflow.runtime.env import apply_service_env
    from dataflow.transform import build_manifest

    apply_service_env(settings)
    ensure_data_services(settings)
    ensure_airflow_db(settings)
    build_manifest(settings)


def run_pipeline(settings, config, skip_incremental: bool, skip_dbt: bool) -> dict:
    """Generate, run the backfill hour, the plain dbt build, then the next hour."""
    print("==> resetting the benchmark runtime and generating data", flush=True)
    reset_runtime(settings)
    manifest, gen_seconds = generate(settings, config)
    full_hour, next_hour = manifest.hours[0], manifest.hours[1]
    result = {
        "generation_s": round(gen_seconds, 2),
        "generated_rows": manifest.rows_by_source(),
        "full_landed_rows": landed_rows(manifest, full_hour),
        "incremental_landed_rows": landed_rows(manifest, next_hour),
    }
    print(f"==> full DAG run for {full_hour:%Y-%m-%d %H:00}", flush=True)
    result["full"] = run_hour(settings, full_hour, "full DAG run")
    print(f"    {result['full']['dag_run_wall_s']} s", flush=True)
    if not result["full"]["success"]:
        return result
    if not skip_dbt:
        print("==> plain dbt build of the same interval", flush=True)
        result["plain_dbt"] = plain_dbt_build(settings, full_hour)
        print(f"    {result['plain_dbt']['wall_s']} s", flush=True)
    if not skip_incremental:
        print(f"==> incremental DAG run for {next_hour:%Y-%m-%d %H:00}", flush=True)
        result["incremental"] = run_hour(settings, next_hour, "incremental DAG run")
        print(f"    {result['incremental']['dag_run_wall_s']} s", flush=True)
    return result
