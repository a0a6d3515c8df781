"""Warehouse layout: schemas, ``raw`` tables built from the contract, and ``audit`` tables.

Applied idempotently by :func:`bootstrap_warehouse`; dbt owns ``staging``, ``intermediate``,
``marts`` and ``snapshots`` contents.
"""

from __future__ import annotations

from dataflow.contracts import LINEAGE_COLUMNS, SOURCES, Source
from dataflow.monitoring.store import MONITORING_DDL
from dataflow.settings import Settings

SCHEMAS = ("raw", "staging", "intermediate", "marts", "snapshots", "audit")

AUDIT_DDL = """
create table if not exists audit.load_audit (
    load_id bigserial primary key,
    run_id text,
    source text not null,
    source_file text not null,
    interval_start timestamptz not null,
    rows_received bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    extra_columns text[] not null default '{}',
    started_at timestamptz not null,
    finished_at timestamptz not null default now(),
    constraint load_audit_reconciles check (rows_received = rows_loaded + rows_quarantined)
);
create index if not exists load_audit_interval_idx on audit.load_audit (source, interval_start);

create table if not exists audit.quarantine (
    quarantine_id bigserial primary key,
    run_id text,
    source text not null,
    source_file text not null,
    line_number bigint not null,
    raw_text text not null,
    reason text not null,
    interval_start timestamptz not null,
    quarantined_at timestamptz not null default now()
);
create index if not exists quarantine_interval_idx on audit.quarantine (source, interval_start);

create table if not exists audit.validation_results (
    result_id bigserial primary key,
    run_id text,
    interval_start timestamptz,
    suite text not null,
    expectation text not null,
    column_name text,
    severity text not null check (severity in ('critical', 'warning')),
    success boolean not null,
    observed_value text,
    unexpected_count bigint,
    element_count bigint,
    validated_at timestamptz not null default now()
);
create index if not exists validation_results_run_idx on audit.validation_results (run_id);
"""


# Idempotent changes to tables that existing warehouses already have (file-level lineage:
# interval_start = the file's landing hour; the loading run's interval is recorded too).
AUDIT_MIGRATIONS = """
alter table audit.load_audit add column if not exists run_interval_start timestamptz;
alter table audit.load_audit add column if not exists run_interval_end timestamptz;
alter table audit.load_audit add column if not exists status text not null default 'loaded';
alter table audit.load_audit add column if not exists skip_reason text;
alter table audit.load_audit
    add column if not exists rows_rejected_by_postgres bigint not null default 0;
create index if not exists load_audit_file_idx on audit.load_audit (source, source_file);
create index if not exists quarantine_file_idx on audit.quarantine (source, source_file);
"""


def raw_table_ddl(source: Source) -> str:
    """``create table if not exists raw.<source>`` with contract columns + lineage."""
    columns = [f"    {c.name} {c.pg_type}" for c in (*source.columns, *LINEAGE_COLUMNS)]
    return (
        f"create table if not exists {source.raw_table} (\n" + ",\n".join(columns) + "\n);\n"
        f"create index if not exists {source.name}_interval_idx "
        f"on {source.raw_table} (_interval_start);\n"
        f"create index if not exists {source.name}_key_idx on {source.raw_table} ({source.key});\n"
        # The incremental dbt models read the rows of the files loaded since their last run.
        f"create index if not exists {source.name}_source_file_idx "
        f"on {source.raw_table} (_source_file);\n"
    )


def warehouse_ddl() -> str:
    schemas = "".join(f"create schema if not exists {s};\n" for s in SCHEMAS)
    raw = "".join(raw_table_ddl(s) for s in SOURCES.values())
    return schemas + raw + AUDIT_DDL + AUDIT_MIGRATIONS + MONITORING_DDL


def bootstrap_warehouse(settings: Settings) -> None:
    """Create schemas and tables in the warehouse database (idempotent)."""
    import psycopg

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        # Serialise concurrent bootstraps (parallel test workers, scheduler + CLI).
        conn.execute("select pg_advisory_lock(724901)")
        try:
            conn.execute(warehouse_ddl())
        finally:
            conn.execute("select pg_advisory_unlock(724901)")
