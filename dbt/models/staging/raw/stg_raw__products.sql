{{
    config(
        materialized='incremental',
        unique_key='product_id',
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['product_id'], 'unique': true},
            {'columns': ['_source_file']},
        ],
        post_hook=[
            "{{ delete_keys_without_raw_rows('product_id', source('raw', 'products'), 'products') }}",
            "{{ record_watermark() }}",
        ],
    )
}}

-- One row per product, its newest version: the latest `updated_at`, then the latest landing
-- interval, the last file, the last line (see stg_raw__customers). Incremental like it.
-- Incremental runs also read (dependencies dbt cannot see inside the `if`):
-- depends_on: {{ ref('int_landed_files_tracked') }}
{%- set state = incremental_state() %}
{%- set changed_files = (
    changed_files_array('products', state.since_batch) if state.incremental
) %}
with

{% if state.incremental %}
    touched as (
        select product_id from {{ source('raw', 'products') }}
        where _source_file = any({{ changed_files }})
        union
        select product_id from {{ this }}
        where _source_file = any({{ changed_files }})
    ),

    -- One index lookup per touched key (lateral): the touched keys are an hour's worth, the
    -- raw table is all history.
    source as (
        select raw_rows.*
        from touched
        cross join lateral (
            select by_key.* from {{ source('raw', 'products') }} as by_key
            where by_key.product_id = touched.product_id
            -- offset 0 keeps the planner from flattening this into a scan of all rows
            offset 0  -- noqa: AM09
        ) as raw_rows
    ),
{% else %}
    source as (
        select * from {{ source('raw', 'products') }}
    ),
{% endif %}

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
            order by {{ newest_version_order('updated_at') }}
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
