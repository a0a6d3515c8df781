"""The embedded local runtime: a Postgres cluster, a moto server and Airflow, all on 127.0.0.1.

``ensure_data_services`` is what tests, the demo and ``dataflow up`` call first: it starts
what is not running yet (idempotently) and bootstraps databases, schemas and buckets.
"""

from __future__ import annotations

from dataflow.runtime.moto import ensure_moto_server
from dataflow.runtime.postgres import ensure_databases, ensure_postgres
from dataflow.settings import Settings


def ensure_data_services(settings: Settings) -> None:
    """Start local Postgres + moto where configured, then bootstrap warehouse and buckets."""
    from dataflow.aws import ensure_buckets
    from dataflow.warehouse import bootstrap_warehouse

    if settings.local_postgres:
        ensure_postgres(settings)
    ensure_databases(settings)
    bootstrap_warehouse(settings)
    if settings.local_aws:
        ensure_moto_server(settings)
    ensure_buckets(settings)


__all__ = ["ensure_data_services"]
