{{
    config(
        materialized='incremental',
        unique_key='transaction_id',
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        indexes=[
            {'columns': ['transaction_id'], 'unique': true},
            {'columns': ['customer_id']},
            {'columns': ['product_id']},
            {'columns': ['transaction_date']},
        ],
        post_hook=[
            "{{ delete_transactions_no_longer_valid() }}",
            "{{ record_watermark() }}",
        ],
    )
}}

-- Valid transactions, one row per transaction_id. Only keys and measures: descriptive
-- attributes (segment, category) come from dim_customers / dim_products.
-- Incremental: rewrites the transactions that got a new version or lost their current one
-- in int_transactions_versioned since the last run; the post-hook deletes those of them that
-- are no longer valid (or no longer exist), so the table always equals the valid set.
{%- set state = incremental_state() %}
with

{% if state.incremental %}
    changed as (
        {{ changed_transaction_ids(state.since_batch) }}
    ),

    -- One index lookup per changed transaction (lateral), not a pass over all versions.
    valid_transactions as (
        select current_versions.*
        from changed
        cross join lateral (
            select versions.* from {{ ref('int_transactions_versioned') }} as versions
            where
                versions.transaction_id = changed.transaction_id
                and versions.closed_batch is null
                and versions.is_valid
            -- offset 0 keeps the planner from flattening this into a scan of all rows
            offset 0  -- noqa: AM09
        ) as current_versions
    ),
{% else %}
    valid_transactions as (
        select * from {{ ref('int_transactions_versioned') }}
        where closed_batch is null and is_valid
    ),
{% endif %}

final as (
    select
        transaction_id,
        customer_id,
        product_id,
        quantity,
        transaction_amount,
        transaction_at,
        transaction_date,
        transaction_month,
        payment_method,
        status,
        is_completed,
        is_q4,
        _source_file,
        _loaded_at,
        _interval_start
    from valid_transactions
)

select * from final
