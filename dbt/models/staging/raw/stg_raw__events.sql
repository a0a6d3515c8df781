-- One row per event: the most recently loaded row wins (events are immutable, so duplicates
-- are replays).
with

source as (
    select * from {{ source('raw', 'events') }}
),

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
            order by _loaded_at desc, _source_file desc, _source_line desc
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
