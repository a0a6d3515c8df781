"""Shared fixtures: the real local runtime (Postgres cluster + moto server) for the tests.

The tests use their own runtime (own DATAFLOW_HOME and ports) so they never touch the
demo's data. Variables already set in the environment win, so a developer can point the
tests at another runtime.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("DATAFLOW_HOME", str(ROOT / ".dataflow" / "test"))
os.environ.setdefault("DATAFLOW_PG_PORT", "54339")
os.environ.setdefault("DATAFLOW_MOTO_PORT", "5056")
os.environ.setdefault("DATAFLOW_AIRFLOW_PORT", "8089")
for _name, _port in {  # the monitoring stack of the test runtime (dataflow.monitoring.services)
    "EXPORTER": 19108,
    "PROMETHEUS": 19090,
    "ALERTMANAGER": 19093,
    "NODE_EXPORTER": 19100,
    "PG_EXPORTER": 19187,
    "SINK": 19109,
}.items():
    os.environ.setdefault(f"DATAFLOW_{_name}_PORT", str(_port))

import pytest  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

from dataflow.runtime.env import apply_service_env  # noqa: E402
from dataflow.settings import get_settings  # noqa: E402

apply_service_env(get_settings())

# Property-based / fuzz tests: a short budget in `make test`, a long one by hand with
# `pytest --hypothesis-profile=dataflow-long ...` (docs/ingest.md). No deadline: the tests
# talk to real services on a shared machine.
hypothesis_settings.register_profile("dataflow", max_examples=40, deadline=None)
hypothesis_settings.register_profile("dataflow-long", max_examples=3000, deadline=None)
hypothesis_settings.load_profile("dataflow")


@pytest.fixture(scope="session")
def settings():
    """Settings of the test runtime, with Postgres and moto running and bootstrapped.

    Services this session started are stopped at its end; ones that already ran are kept.
    """
    from dataflow.runtime import ensure_data_services, stop_data_services

    s = get_settings()
    started = ensure_data_services(s)
    yield s
    stop_data_services(s, started)


@pytest.fixture
def warehouse(settings):
    """An autocommit psycopg connection to the warehouse database."""
    import psycopg

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def s3(settings):
    """A boto3 S3 client on the test AWS endpoint (the moto server)."""
    from dataflow.aws import s3_client

    return s3_client(settings)


@pytest.fixture(scope="session")
def dbt_manifest():
    """The DAG's dbt manifest (``Settings.dbt_manifest_path``) built once per session."""
    from dataflow.transform import build_manifest

    return build_manifest(get_settings())


@pytest.fixture(scope="session")
def _airflow_started_by_session(settings):
    """Airflow services started during this session; stopped when the session ends."""
    from dataflow.runtime.airflow import stop_airflow

    started: list[str] = []
    yield started
    if started:
        stop_airflow(settings)


@pytest.fixture(scope="module")
def airflow_services(settings, dbt_manifest, _airflow_started_by_session):
    """api-server, scheduler (LocalExecutor), dag-processor and triggerer, as `dataflow up`.

    Ensured per module (a module may have stopped them), stopped at the end of the session
    if the session started them. Runs go through ``dataflow.runtime.dagruns``.
    """
    from dataflow.runtime.airflow import start_airflow

    _airflow_started_by_session.extend(start_airflow(settings))
    return settings


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the whole test session (JVM start-up is slow)."""
    from dataflow.features.local import local_spark_session

    session = local_spark_session(get_settings(), app_name="dataflow-tests")
    yield session
    session.stop()
