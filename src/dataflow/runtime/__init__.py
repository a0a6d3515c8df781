"""The embedded local runtime: a Postgres cluster, a moto server and Airflow, all on 127.0.0.1.

``ensure_data_services`` is what tests, the demo and ``dataflow up`` call first: it starts
what is not running yet (idempotently) and bootstraps databases, schemas and, on a local AWS
endpoint, the platform's stacks (buckets included: ``aws/cloudformation/storage.yaml``).
"""

from __future__ import annotations

from dataflow.runtime.moto import ensure_moto_server
from dataflow.runtime.postgres import ensure_databases, ensure_postgres
from dataflow.settings import Settings


def ensure_data_services(settings: Settings) -> list[str]:
    """Start local Postgres + moto where configured, then bootstrap warehouse and stacks.

    Returns the services this call started (empty when everything already ran).
    """
    from dataflow.infra import deploy_platform
    from dataflow.warehouse import bootstrap_warehouse

    started = []
    if settings.local_postgres and ensure_postgres(settings):
        started.append("postgres")
    ensure_databases(settings)
    bootstrap_warehouse(settings)
    if settings.local_aws and ensure_moto_server(settings):
        started.append("moto")
    if settings.aws_endpoint_url:
        # An endpoint override is a local AWS (moto): deploy the platform's stacks into it
        # from the same templates as on AWS — the buckets are the storage stack's. Real AWS is
        # deployed explicitly (`dataflow infra deploy`).
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
