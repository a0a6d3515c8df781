"""How Cosmos renders and runs the dbt project, the periodic full refresh, and dbt docs.

The transformations group runs in Cosmos ``ExecutionMode.WATCHER``: one producer task runs a
single ``dbt build`` of the whole project with ``DATAFLOW_DBT_THREADS`` threads, and one
deferrable consumer task per model (and one per model's tests) turns green or red as dbt
reports that node — the speed of one dbt invocation with a task per model in the UI. The
consumers wait in the triggerer, so it must run (``dataflow up`` starts it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dataflow.settings import Settings

# Rendered per task by Airflow: a rerun of an interval passes the same vars, so gives the same
# marts (customer_360.as_of = data_interval_end).
DBT_INTERVAL_VARS = {
    "data_interval_start": "{{ data_interval_start.isoformat() }}",
    "data_interval_end": "{{ data_interval_end.isoformat() }}",
}
# Rendered per run through the DAG's ``user_defined_macros`` (see :data:`DAG_MACROS`).
DBT_FULL_REFRESH = "{{ dbt_full_refresh(data_interval_start, data_interval_end, params) }}"
# Seconds between two looks of a waiting consumer at the producer's progress (Cosmos: 10).
CONSUMER_POKE_INTERVAL_S = 3
CONSUMER_RETRY_DELAY = timedelta(seconds=5)


class DagManifestMissing(FileNotFoundError):
    """The manifest Cosmos renders the DAG from has not been built for this runtime."""


def crosses_daily_hour(start: datetime, end: datetime, hour: int | None) -> bool:
    """True when ``(start, end]`` contains ``hour``:00 UTC of some day (never if ``hour`` is None).

    For hourly intervals and ``hour=0`` that is the run of ``[23:00, 00:00)``: the first run
    the scheduler starts after midnight UTC. Works for intervals of any width or offset.
    """
    if hour is None:
        return False
    shift = timedelta(hours=hour)
    shifted_end = end - shift
    latest_boundary = shifted_end.replace(hour=0, minute=0, second=0, microsecond=0)
    return latest_boundary > start - shift


def dbt_full_refresh(start: datetime, end: datetime, params: dict | None = None) -> bool:
    """Whether this run's ``dbt build`` gets ``--full-refresh`` (a DAG macro).

    Yes for the daily safety-net run (:func:`crosses_daily_hour` with
    ``DATAFLOW_FULL_REFRESH_HOUR``) and for a run triggered with ``{"full_refresh": true}``.
    """
    from dataflow.settings import get_settings
    from dataflow.timeutil import to_utc

    if params and bool(params.get("full_refresh")):
        return True
    return crosses_daily_hour(to_utc(start), to_utc(end), get_settings().full_refresh_hour)


DAG_MACROS = {"dbt_full_refresh": dbt_full_refresh}


def require_dag_manifest(settings: Settings) -> Path:
    """The DAG's manifest path; a clear error when it was never built."""
    manifest = settings.dbt_manifest_path
    if not manifest.is_file():
        raise DagManifestMissing(
            f"the dbt manifest the DAG renders from, {manifest}, does not exist: run "
            "`dataflow dbt-parse` (`make up` and `make demo` build it)"
        )
    return manifest


# Cosmos pushes an XCom for each of NodeStart, NodeCompiling, NodeExecuting and NodeFinished of
# every node, each a synchronous API call under one lock shared by all dbt threads; the model
# tasks read that XCom only once their node finished. Measured on the benchmark runtime, the
# producer's XCom and Variable writes cost ~150 s per small-scale run under load, most of the
# gap between its `dbt build` and a plain one. Keep the terminal and error events only.
WATCHER_TRANSIENT_EVENTS = frozenset({"NodeStart", "NodeCompiling", "NodeExecuting"})
WATCHER_PATCHED_COSMOS = "1.15.1"


def trim_watcher_event_pushes() -> bool:
    """Stop the watcher producer publishing transient node events (see above); True if done.

    Only for the Cosmos release whose code this was checked against: another version keeps
    Cosmos's own behaviour until someone re-checks ``cosmos/operators/_watcher/base.py``.
    """
    import cosmos
    from cosmos.operators._watcher import base

    if cosmos.__version__ != WATCHER_PATCHED_COSMOS:
        return False
    base._DBT_EVENT_ALLOWLIST = base._DBT_EVENT_ALLOWLIST - WATCHER_TRANSIENT_EVENTS
    return True


def _project_config(settings: Settings, manifest: Path):
    from cosmos import ProjectConfig

    config = ProjectConfig(
        dbt_project_path=settings.dbt_project_dir,
        manifest_path=manifest,
        project_name="dataflow",
    )
    # Cosmos wraps every manifest path in ObjectStoragePath, whose first use loads all
    # provider filesystems and plugins (boto3, fastapi: ~1 s of every DAG parse). The manifest
    # is a local file, and Cosmos only calls exists() and open() on it: a Path does both.
    config.manifest_path = manifest
    return config


def cosmos_configs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``DbtTaskGroup``: manifest-based rendering, watcher execution.

    ``LoadMode.DBT_MANIFEST`` reads :attr:`Settings.dbt_manifest_path` (built ahead of time by
    ``dataflow dbt-parse``), so parsing the DAG never runs dbt.
    """
    from cosmos import ExecutionConfig, ProfileConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    trim_watcher_event_pushes()
    return {
        "project_config": _project_config(settings, require_dag_manifest(settings)),
        "profile_config": ProfileConfig(
            profile_name="dataflow",
            target_name="local",
            profiles_yml_filepath=settings.dbt_project_dir / "profiles.yml",
        ),
        "execution_config": ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER, invocation_mode=InvocationMode.DBT_RUNNER
        ),
        "render_config": RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            # The one `dbt build` orders a relationship test after both its models already;
            # each parent's test task reports it. Detached, it would get a task of its own that
            # Cosmos 1.15 only resolves when the whole build ends.
            should_detach_multiple_parents_tests=False,
        ),
        "operator_args": {
            "vars": DBT_INTERVAL_VARS,
            "install_deps": False,
            "full_refresh": DBT_FULL_REFRESH,
            "poke_interval": CONSUMER_POKE_INTERVAL_S,
            # Airflow 3.3.2 can fail a consumer that resumes from deferral before the scheduler
            # drained the executor event of its defer-exit (apache/airflow#72716). The retry
            # keeps polling while the producer runs, so a quick one costs a few seconds.
            "retry_delay": CONSUMER_RETRY_DELAY,
            "retry_exponential_backoff": False,
        },
    }


def publish_dbt_docs(settings: Settings) -> dict[str, str]:
    """``dbt docs generate`` into its own target path, then upload the site to the docs bucket.

    The own target path keeps docs generation away from the DAG's manifest (and from the
    project's ``target/``), so the dag-processor never reads a manifest being rewritten.
    """
    from dataflow.aws import s3_client
    from dataflow.transform import run_dbt

    target = settings.dbt_docs_target_dir
    run_dbt(settings, ["docs", "generate", "--target-path", str(target)])
    s3 = s3_client(settings)
    for name in ("index.html", "manifest.json", "catalog.json"):
        path = target / name
        if path.exists():
            s3.upload_file(str(path), settings.docs_bucket, f"dbt_docs/{name}")
    return {
        "local": str(target / "index.html"),
        "s3": f"s3://{settings.docs_bucket}/dbt_docs/index.html",
    }
