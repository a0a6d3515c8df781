{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['event_id'], 'unique': true},
            {'columns': ['_source_file']},
        ],
        post_hook=[
            "{{ delete_keys_without_raw_rows('event_id', source('raw', 'events'), 'events') }}",
            "{{ record_watermark() }}",
        ],
    )
}}

-- One row per event: events are immutable, so duplicates are replays; the newest version
-- (latest landing interval, last file, last line) is kept. Incremental like
-- stg_raw__transactions.
-- Incremental runs also read (dependencies dbt cannot see inside the `if`):
-- depends_on: {{ ref('int_landed_files_tracked') }}
{%- set state = incremental_state() %}
{%- set changed_files = (
    changed_files_array('events', state.since_batch) if state.incremental
) %}
with

{% if state.incremental %}
    touched as (
        select event_id from {{ source('raw', 'events') }}
        where _source_file = any({{ changed_files }})
        union
        select event_id from {{ this }}
        where _source_file = any({{ changed_files }})
    ),

    -- One index lookup per touched key (lateral): the touched keys are an hour's worth, the
    -- raw table is all history.
    source as (
        select raw_rows.*
        from touched
        cross join lateral (
            select by_key.* from {{ source('raw', 'events') }} as by_key
            where by_key.event_id = touched.event_id
            -- offset 0 keeps the planner from flattening this into a scan of all rows
            offset 0  -- noqa: AM09
        ) as raw_rows
    ),
{% else %}
    source as (
        select * from {{ source('raw', 'events') }}
    ),
{% endif %}

renamed as (
    select
        event_id,
        lower(trim(event_type)) as event_type,
        customer_id,
        occurred_at,
        payload,
        _source_file,
        _source_line,
        _loaded_at,
        _interval_start
    from source
),

ranked as (
    select
        *,
        row_number() over (
            partition by event_id
            order by {{ newest_version_order() }}
        ) as version_rank
    from renamed
),

latest as (
    select
        event_id,
        event_type,
        customer_id,
        occurred_at,
        payload,
        _source_file,
        _source_line,
        _loaded_at,
        _interval_start
    from ranked
    where version_rank = 1
)

select * from latest
