"""``dataflow demo``: the platform end to end on the embedded local runtime.

Starts Postgres and the AWS endpoint, generates data, runs ``production_data_pipeline``
through real Airflow task execution for the backfill hour and each hourly increment, then
prints a summary an operator can read.
"""

from __future__ import annotations

import time
from datetime import timedelta

from dataflow.settings import Settings, redact

DAG_ID = "production_data_pipeline"


def step(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def prepare_runtime(settings: Settings) -> None:
    from dataflow.runtime import ensure_data_services
    from dataflow.runtime.airflow import ensure_airflow_db
    from dataflow.runtime.env import apply_service_env
    from dataflow.transform import build_manifest

    apply_service_env(settings)
    step(
        f"Local services: Postgres {redact(settings.warehouse_url)}, "
        f"AWS {settings.aws_endpoint_url or 'real AWS'}"
    )
    ensure_data_services(settings)
    step("Airflow metadata DB (first run migrates, ~1 min)")
    ensure_airflow_db(settings)
    step("dbt manifest for Cosmos")
    build_manifest(settings)


def run_pipeline_hours(settings: Settings, hours) -> list[tuple[str, bool, float]]:
    """Run the DAG once per landed hour; the data interval of hour h is [h, h+1h)."""
    from dataflow.runtime.airflow import run_dag_test

    outcomes = []
    for hour in hours:
        interval_end = hour + timedelta(hours=1)
        log = settings.run_dir / "demo" / f"{DAG_ID}_{hour:%Y%m%dT%H}.log"
        started = time.monotonic()
        print(
            f"    interval {hour:%Y-%m-%d %H:00} → {interval_end:%H:00} UTC … ", end="", flush=True
        )
        ok = run_dag_test(settings, DAG_ID, interval_end, log)
        took = time.monotonic() - started
        print(f"{'success' if ok else 'FAILED'} in {took:.0f}s  (log: {log})", flush=True)
        outcomes.append((f"{hour:%Y-%m-%d %H:00}", ok, took))
        if not ok:
            break
    return outcomes


def run_demo(settings: Settings, config, progress: bool = True) -> int:
    """Run the demo; returns the process exit code."""
    from dataflow.generate import generate_landing_data
    from dataflow.monitoring.report import print_monitoring_summary, run_monitoring_step
    from dataflow.story import print_story
    from dataflow.summary import print_summary

    prepare_runtime(settings)
    step("Generating synthetic source data into the landing bucket")
    manifest = generate_landing_data(settings, config, progress=progress)
    step(f"Running {DAG_ID} through Airflow for {len(manifest.hours)} data intervals")
    outcomes = run_pipeline_hours(settings, manifest.hours)
    run_monitoring_step(settings)
    print_summary(settings, outcomes)
    print_story(settings, manifest)
    print_monitoring_summary(settings)
    return 0 if all(ok for _, ok, _ in outcomes) and len(outcomes) == len(manifest.hours) else 1
