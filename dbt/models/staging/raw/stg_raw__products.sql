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
with

{% if state.incremental %}
    changed_files as (
        {{ changed_source_files('products', state.since_batch) }}
    ),

    touched as (
        select product_id from {{ source('raw', 'products') }}
        where _source_file in (select source_file from changed_files)
        union
        select product_id from {{ this }}
        where _source_file in (select source_file from changed_files)
    ),

    source as (
        select * from {{ source('raw', 'products') }}
        where product_id in (select product_id from touched)
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
