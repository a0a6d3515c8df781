"""The embedded local runtime: a Postgres cluster, a moto server and Airflow, all on 127.0.0.1.

``ensure_data_services`` is what tests, the demo and ``dataflow up`` call first: it starts
what is not running yet (idempotently) and bootstraps databases, schemas and buckets.
"""

from __future__ import annotations

from dataflow.runtime.moto import ensure_moto_server
from dataflow.runtime.postgres import ensure_databases, ensure_postgres
from dataflow.settings import Settings


def ensure_data_services(settings: Settings) -> list[str]:
    """Start local Postgres + moto where configured, then bootstrap warehouse and buckets.

    Returns the services this call started (empty when everything already ran).
    """
    from dataflow.aws import ensure_buckets
    from dataflow.infra import deploy_platform
    from dataflow.warehouse import bootstrap_warehouse

    started = []
    if settings.local_postgres and ensure_postgres(settings):
        started.append("postgres")
    ensure_databases(settings)
    bootstrap_warehouse(settings)
    if settings.local_aws and ensure_moto_server(settings):
        started.append("moto")
    ensure_buckets(settings)
    if settings.aws_endpoint_url:
        # An endpoint override is a local AWS (moto): deploy the platform's stacks into it
        # from the same templates as on AWS. Real AWS is deployed explicitly (`dataflow infra`).
        deploy_platform(settings)
    return started


def stop_data_services(settings: Settings, services: list[str]) -> None:
    """Stop the named local services (as returned by :func:`ensure_data_services`)."""
    from dataflow.runtime.moto import stop_moto_server
    from dataflow.runtime.postgres import stop_postgres

    if "moto" in services:
        stop_moto_server(settings)
    if "postgres" in services:
        stop_postgres(settings)


__all__ = ["ensure_data_services"]
