{{
    config(
        materialized='incremental',
        meta={'compare_with_full_refresh': false},
        unique_key=['source', 'source_file', 'load_id'],
        incremental_strategy='delete+insert',
        full_refresh=false,
        post_hook=["{{ record_watermark() }}"],
    )
}}

-- Every load of a landing file the transformations have seen (audit.load_audit: one row per
-- file and load), with the batch it appeared in and the batch it disappeared in (a reload
-- of the file replaces its audit row, so the older load disappears). The files that changed
-- after a batch are the loads added or removed after it: only their raw rows can have
-- appeared or disappeared (macros/incremental/changes.sql).
-- Never full-refreshed: its batch numbers are what the watermarks of the other models refer to.
{%- set batch_id = current_batch_id() %}
{%- if execute and invocation_runs_models() and stored_watermark() == batch_id %}
    {{ exceptions.raise_compiler_error(
        "int_landed_files_tracked already ran in batch " ~ batch_id ~ ": changes found now would "
        ~ "be stamped with a batch the other models may have processed. Run it together with "
        ~ "int_transform_batches (dbt build --select int_transform_batches+)."
    ) }}
{%- endif %}
with

file_loads as (
    select
        source,
        source_file,
        load_id,
        interval_start,
        rows_loaded
    from {{ source('audit', 'load_audit') }}
    where source in ('customers', 'products', 'transactions', 'events')
),

{% if is_incremental() %}
    tracked as (
        select * from {{ this }}
        where removed_batch is null
    ),

    added as (
        select
            file_loads.*,
            cast({{ batch_id }} as bigint) as added_batch,
            cast(null as bigint) as removed_batch
        from file_loads
        where not exists (
            select 1 from tracked
            where
                tracked.source = file_loads.source
                and tracked.source_file = file_loads.source_file
                and tracked.load_id = file_loads.load_id
        )
    ),

    removed as (
        select
            tracked.source,
            tracked.source_file,
            tracked.load_id,
            tracked.interval_start,
            tracked.rows_loaded,
            tracked.added_batch,
            cast({{ batch_id }} as bigint) as removed_batch
        from tracked
        where not exists (
            select 1 from file_loads
            where
                file_loads.source = tracked.source
                and file_loads.source_file = tracked.source_file
                and file_loads.load_id = tracked.load_id
        )
    ),

    changes as (
        select * from added
        union all
        select * from removed
    )
{% else %}
    changes as (
        select
            file_loads.*,
            cast({{ batch_id }} as bigint) as added_batch,
            cast(null as bigint) as removed_batch
        from file_loads
    )
{% endif %}

select * from changes
