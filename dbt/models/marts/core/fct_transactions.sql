{{
    config(
        materialized='incremental',
        unique_key='transaction_id',
        incremental_strategy='merge',
        on_schema_change='sync_all_columns',
        indexes=[
            {'columns': ['transaction_id'], 'unique': true},
            {'columns': ['customer_id']},
            {'columns': ['product_id']},
            {'columns': ['transaction_date']},
        ],
        post_hook=[
            "delete from {{ this }} as fct where not exists (
                select 1 from {{ ref('int_transactions_enriched') }} as valid
                where valid.transaction_id = fct.transaction_id
            )"
        ],
    )
}}

-- Valid transactions, one row per transaction_id. Only keys and measures: descriptive
-- attributes (segment, category) come from dim_customers / dim_products, since an
-- incremental fact would not see them change.
-- Incremental: merges rows that are new to the table or were loaded again after the stored
-- version (`_loaded_at` greater than the stored row's). Comparing per row rather than with
-- the table-wide max keeps out-of-order loads (backfills, parallel intervals) and
-- transactions that only became valid later (their customer arrived late) from being
-- skipped. The post-hook removes rows that are no longer valid or were reloaded away, so
-- the table always equals the valid set of int_transactions_enriched.
with

valid_transactions as (
    select * from {{ ref('int_transactions_enriched') }}
),

changed as (
    select valid_transactions.*
    from valid_transactions
    {% if is_incremental() %}
        left join {{ this }} as fct_rows
            on valid_transactions.transaction_id = fct_rows.transaction_id
        where
            fct_rows.transaction_id is null
            or valid_transactions._loaded_at > fct_rows._loaded_at
    {% endif %}
),

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
        _loaded_at,
        _interval_start
    from changed
)

select * from final
