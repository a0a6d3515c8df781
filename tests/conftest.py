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

from dataflow.runtime.env import apply_service_env  # noqa: E402
from dataflow.settings import get_settings  # noqa: E402

apply_service_env(get_settings())


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
    """``dbt/target/manifest.json`` built once per session (Cosmos renders from it)."""
    from dataflow.transform import build_manifest

    return build_manifest(get_settings())
