-- One row per product: the latest version by updated_at, ties to the most recently loaded row.
with

source as (
    select * from {{ source('raw', 'products') }}
),

renamed as (
    select
        product_id,
        nullif(trim(product_name), '') as product_name,
        coalesce(nullif(trim(product_category), ''), 'unknown') as product_category,
        unit_price,
        updated_at,
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
            partition by product_id
            order by updated_at desc, _loaded_at desc, _source_file desc, _source_line desc
        ) as version_rank
    from renamed
),

latest as (
    select
        product_id,
        product_name,
        product_category,
        unit_price,
        updated_at,
        _source_file,
        _source_line,
        _loaded_at,
        _interval_start
    from ranked
    where version_rank = 1
)

select * from latest
