{{ config(materialized='view') }}

-- Every deduplicated transaction with its row-level business validity: the current versions
-- of int_transactions_versioned, where validity is decided (amount not positive, unknown
-- customer, unknown product; invalid_reason = the first failing rule in that order).
with

versions as (
    select * from {{ ref('int_transactions_versioned') }}
    where closed_batch is null
),

validated as (
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
        has_non_positive_amount,
        has_unknown_customer,
        has_unknown_product,
        invalid_reason,
        is_valid,
        _source_file,
        _source_line,
        _loaded_at,
        _interval_start
    from versions
)

select * from validated
