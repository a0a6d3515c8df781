"""Warehouse tables the monitoring writes and the exporter reads (``audit`` schema).

Applied by :func:`dataflow.warehouse.bootstrap_warehouse` with the other audit tables, so they
exist before any DAG, dbt hook or exporter touches them. Everything the exporter exports is
read from these tables (or from the loader's and GX's own tables) at scrape time: nothing lives
only in a process's memory.
"""

from __future__ import annotations

MONITORING_DDL = """
-- Indexes the exporter's per-scrape queries use on the loader's and GX's tables
-- (dataflow.monitoring.facts: newest row per source / suite).
create index if not exists validation_results_suite_time_idx
    on audit.validation_results (suite, validated_at desc);
create index if not exists load_audit_source_finished_idx
    on audit.load_audit (source, finished_at desc);

-- Row totals per source, kept equal to sum(...) over audit.load_audit by triggers, so a scrape
-- reads four rows instead of summing a year of file loads (reloads delete + insert: both count).
create table if not exists audit.load_totals (
    source text primary key,
    files bigint not null default 0,
    rows_received bigint not null default 0,
    rows_loaded bigint not null default 0,
    rows_quarantined bigint not null default 0
);
create or replace function audit.add_to_load_totals() returns trigger language plpgsql as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        update audit.load_totals set files = files - 1,
            rows_received = rows_received - old.rows_received,
            rows_loaded = rows_loaded - old.rows_loaded,
            rows_quarantined = rows_quarantined - old.rows_quarantined
        where source = old.source;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into audit.load_totals as t values
            (new.source, 1, new.rows_received, new.rows_loaded, new.rows_quarantined)
        on conflict (source) do update set files = t.files + 1,
            rows_received = t.rows_received + excluded.rows_received,
            rows_loaded = t.rows_loaded + excluded.rows_loaded,
            rows_quarantined = t.rows_quarantined + excluded.rows_quarantined;
    end if;
    return null;
end $$;
create or replace function audit.reset_load_totals() returns trigger language plpgsql as $$
begin
    delete from audit.load_totals;
    return null;
end $$;
-- Deferred to commit. A load's transaction spans every file of its interval; an immediate
-- trigger would hold the source's totals row from the first file on, and a concurrent load of
-- the same source (the events micro-batch beside the hourly run) holding a later file's lock
-- would wait on that row at its own audit insert while the first load waits for that file: a
-- deadlock (seen in the 10M benchmark). At commit a load takes no more file locks, so waiting
-- for the row there closes no cycle. (An immediate trigger of an older warehouse is replaced.)
do $$
begin
    if not exists (select 1 from pg_trigger where tgname = 'load_totals_rows'
                   and tgrelid = 'audit.load_audit'::regclass and tginitdeferred) then
        drop trigger if exists load_totals_rows on audit.load_audit;
        create constraint trigger load_totals_rows
            after insert or update or delete on audit.load_audit
            deferrable initially deferred
            for each row execute function audit.add_to_load_totals();
    end if;
end $$;
create or replace trigger load_totals_truncate after truncate on audit.load_audit
    for each statement execute function audit.reset_load_totals();
-- A warehouse that had loads before the triggers existed starts from its sums.
insert into audit.load_totals (source, files, rows_received, rows_loaded, rows_quarantined)
select source, count(*), sum(rows_received), sum(rows_loaded), sum(rows_quarantined)
from audit.load_audit group by source
on conflict (source) do nothing;

-- Latest result per dbt node, written by dbt's on-run-end hook (dbt/macros/record_dbt_results.sql)
-- after every invocation, however Cosmos runs dbt.
create table if not exists audit.dbt_node_results (
    unique_id text not null,
    schema_name text not null,
    resource_type text not null,
    node_name text not null,
    relation_name text,
    last_status text not null,
    last_failures bigint,
    last_run_at timestamptz not null,
    last_success_at timestamptz,
    last_success_data_interval_end timestamptz,
    last_invocation_id text,
    last_command text,
    primary key (unique_id, schema_name)
);

-- `dbt source freshness` per source, written by the monitoring DAG (monitor_data_freshness).
create table if not exists audit.source_freshness (
    source_name text primary key,
    status text not null,
    max_loaded_at timestamptz,
    snapshotted_at timestamptz,
    age_seconds double precision,
    warn_after_seconds double precision,
    error_after_seconds double precision,
    checked_at timestamptz not null default now()
);

-- Run-level figures of production_data_pipeline, one row per stage and run, written by its
-- last task `update_monitoring_metrics` (a retry replaces its own run's rows).
create table if not exists audit.pipeline_stage_metrics (
    dag_id text not null,
    run_id text not null,
    stage text not null,
    data_interval_start timestamptz,
    data_interval_end timestamptz,
    rows bigint,
    duration_seconds double precision,
    started_at timestamptz,
    finished_at timestamptz,
    recorded_at timestamptz not null default now(),
    primary key (dag_id, run_id, stage)
);
create index if not exists pipeline_stage_metrics_recorded_idx
    on audit.pipeline_stage_metrics (dag_id, recorded_at desc);

-- The monitoring DAG's alert state: one row per condition (fingerprint); opens once,
-- re-notifies on an interval, resolves when the condition clears.
create table if not exists audit.alert_state (
    fingerprint text primary key,
    alertname text not null,
    severity text not null check (severity in ('critical', 'warning')),
    labels jsonb not null,
    summary text not null,
    description text not null,
    runbook_url text not null,
    status text not null check (status in ('firing', 'resolved')),
    opened_at timestamptz not null,
    last_seen_at timestamptz not null,
    last_notified_at timestamptz,
    resolved_at timestamptz,
    notifications integer not null default 0
);
create index if not exists alert_state_status_idx on audit.alert_state (status, severity);

-- Every notification the monitoring DAG sent (or failed to send), per channel.
create table if not exists audit.alert_notifications (
    notification_id bigserial primary key,
    fingerprint text not null,
    alertname text not null,
    kind text not null check (kind in ('firing', 'reminder', 'escalated', 'resolved')),
    severity text not null,
    channel text not null,
    delivered boolean not null,
    detail text,
    sent_at timestamptz not null default now()
);
create index if not exists alert_notifications_fp_idx on audit.alert_notifications (fingerprint);
"""
