{{
    config(
        materialized='incremental',
        unique_key='transaction_id',
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['transaction_id'], 'unique': true},
            {'columns': ['_source_file']},
            {'columns': ['customer_id']},
            {'columns': ['product_id']},
            {'columns': ['transaction_at']},
        ],
        post_hook=[
            "{{ delete_keys_without_raw_rows('transaction_id', source('raw', 'transactions'), 'transactions') }}",
            "{{ record_watermark() }}",
        ],
    )
}}

-- One row per transaction, its newest version: the row from the latest landing interval
-- (`_interval_start`), then the last file, then the last line. Never the load time: a rerun
-- of an older interval reloads its rows later, and they must not win over versions that a
-- later interval delivered.
-- Row-level business validity (amount, unknown customer/product) is decided downstream in
-- int_transactions_versioned, because it needs joins that staging does not do.
-- Incremental: re-derives the newest version of every transaction that has a row in a file
-- loaded, reloaded or removed since the last run, or whose stored version came from one; the
-- post-hook deletes transactions that have no raw row left.
-- Incremental runs also read (dependencies dbt cannot see inside the `if`):
-- depends_on: {{ ref('int_landed_files_tracked') }}
{%- set state = incremental_state() %}
{%- set changed_files = (
    changed_files_array('transactions', state.since_batch) if state.incremental
) %}
with

{% if state.incremental %}
    touched as (
        select transaction_id from {{ source('raw', 'transactions') }}
        where _source_file = any({{ changed_files }})
        union
        select transaction_id from {{ this }}
        where _source_file = any({{ changed_files }})
    ),

    -- One index lookup per touched key (lateral): the touched keys are an hour's worth, the
    -- raw table is all history.
    source as (
        select raw_rows.*
        from touched
        cross join lateral (
            select by_key.* from {{ source('raw', 'transactions') }} as by_key
            where by_key.transaction_id = touched.transaction_id
            -- offset 0 keeps the planner from flattening this into a scan of all rows
            offset 0  -- noqa: AM09
        ) as raw_rows
    ),
{% else %}
    source as (
        select * from {{ source('raw', 'transactions') }}
    ),
{% endif %}

renamed as (
    select
        transaction_id,
        customer_id,
        product_id,
        quantity,
        transaction_amount,
        transaction_at,
        {{ utc_date('transaction_at') }} as transaction_date,
        nullif(lower(trim(payment_method)), '') as payment_method,
        lower(trim(status)) as status,
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
            partition by transaction_id
            order by {{ newest_version_order() }}
        ) as version_rank
    from renamed
),

latest as (
    select
        transaction_id,
        customer_id,
        product_id,
        quantity,
        transaction_amount,
        transaction_at,
        transaction_date,
        payment_method,
        status,
        _source_file,
        _source_line,
        _loaded_at,
        _interval_start
    from ranked
    where version_rank = 1
)

select * from latest
