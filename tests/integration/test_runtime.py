"""The embedded runtime starts real services and bootstraps them idempotently."""

from __future__ import annotations


def test_warehouse_has_platform_schemas(settings, warehouse):
    rows = warehouse.execute(
        "select schema_name from information_schema.schemata order by schema_name"
    ).fetchall()
    names = {r[0] for r in rows}
    assert {"raw", "staging", "intermediate", "marts", "snapshots", "audit"} <= names


def test_bootstrap_twice_is_harmless(settings):
    from dataflow.runtime import ensure_data_services

    ensure_data_services(settings)
    ensure_data_services(settings)


def test_buckets_exist_on_the_moto_server(settings, s3):
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert {settings.landing_bucket, settings.lake_bucket, settings.docs_bucket} <= names
    assert settings.aws_endpoint_url.startswith("http://127.0.0.1:")


def test_the_runtime_runs_the_platforms_postgres_major(settings, warehouse):
    from dataflow.runtime.postgres import POSTGRES_MAJOR

    version_num = int(warehouse.execute("show server_version_num").fetchone()[0])

    assert version_num // 10000 == POSTGRES_MAJOR == 18
