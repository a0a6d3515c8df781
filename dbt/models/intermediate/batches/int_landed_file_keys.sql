{{
    config(
        materialized='incremental',
        meta={'compare_with_full_refresh': false},
        unique_key=['source', 'source_file', 'load_id', 'key_id'],
        incremental_strategy='delete+insert',
        full_refresh=false,
        indexes=[
            {'columns': ['source', 'source_file', 'load_id']},
        ],
        post_hook=["{{ record_watermark() }}"],
    )
}}

-- The customer and product keys each loaded file held, recorded when the load is first seen
-- and kept after the load is replaced or removed. A transaction's validity and attributes
-- depend on its customer and product, so the transaction models recompute the transactions of
-- every key a changed customer/product file holds or held (macros/incremental/changes.sql):
-- a key that a corrected file no longer holds is found here, although no raw row has it.
-- (Transactions and events need no such list: every model of theirs keeps `_source_file`.)
-- Never full-refreshed: the keys of replaced loads cannot be read from raw any more.
{%- set state = incremental_state() %}
with

new_loads as (
    select
        source,
        source_file,
        load_id
    from {{ ref('int_landed_files_tracked') }}
    where
        source in ('customers', 'products')
        and removed_batch is null
        and added_batch > {{ state.since_batch }}
),

customer_keys as (
    select distinct
        new_loads.source,
        new_loads.source_file,
        new_loads.load_id,
        customers.customer_id as key_id
    from new_loads
    inner join {{ source('raw', 'customers') }} as customers
        on new_loads.source_file = customers._source_file
    where new_loads.source = 'customers'
),

product_keys as (
    select distinct
        new_loads.source,
        new_loads.source_file,
        new_loads.load_id,
        products.product_id as key_id
    from new_loads
    inner join {{ source('raw', 'products') }} as products
        on new_loads.source_file = products._source_file
    where new_loads.source = 'products'
)

select * from customer_keys
union all
select * from product_keys
