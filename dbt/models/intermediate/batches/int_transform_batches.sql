{{
    config(
        materialized='incremental',
        meta={'compare_with_full_refresh': false},
        unique_key='batch_id',
        incremental_strategy='append',
        full_refresh=false,
    )
}}

-- One row per batch, i.e. per dbt invocation that runs this model (one per pipeline run).
-- Every incremental model records the batch it is up to date with (macros/incremental), and
-- the marts are computed as of the batch's `as_of`:
--   as_of = the latest data_interval_end any batch ran for; it never moves backwards, so a
--   rerun of an older interval recomputes the marts from its corrected raw data at the same
--   as_of. Without any interval so far (a bare `dbt build` on a new warehouse) it is the
--   current time.
-- Never full-refreshed (`full_refresh=false`): the batch numbers and as_of must survive a
-- `dbt build --full-refresh`. Batch numbers also continue above any recorded watermark, so
-- a dropped table cannot hand out numbers that models have already processed.
{%- set interval_start = var('data_interval_start', none) %}
{%- set interval_end = var('data_interval_end', none) %}
with

previous as (
    {% if is_incremental() %}
        select
            max(batch_id) as batch_id,
            max(as_of) as as_of
        from {{ this }}
    {% else %}
        select
            cast(0 as bigint) as batch_id,
            cast(null as timestamptz) as as_of
    {% endif %}
),

watermarks as (
    select coalesce(max(batch_id), 0) as batch_id
    from {{ watermark_relation() }}
),

run_interval as (
    select
        cast({{ "'" ~ interval_start ~ "'" if interval_start else 'null' }} as timestamptz)
            as data_interval_start,
        cast({{ "'" ~ interval_end ~ "'" if interval_end else 'null' }} as timestamptz)
            as data_interval_end
),

batch as (
    select
        greatest(previous.batch_id, watermarks.batch_id) + 1 as batch_id,
        coalesce(
            greatest(previous.as_of, run_interval.data_interval_end), current_timestamp
        ) as as_of,
        run_interval.data_interval_start,
        run_interval.data_interval_end,
        current_timestamp as started_at
    from previous
    cross join watermarks
    cross join run_interval
)

select * from batch
