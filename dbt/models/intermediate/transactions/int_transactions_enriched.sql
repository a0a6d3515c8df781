{{ config(materialized='view') }}

-- Valid transactions only, with the product and customer attributes and calendar parts that
-- transaction analysis needs: the current, valid versions of int_transactions_versioned.
-- Not as-of filtered: as-of-aware consumers use `is_before_as_of` of the versions.
with

versions as (
    select * from {{ ref('int_transactions_versioned') }}
    where closed_batch is null and is_valid
),

enriched as (
    select
        transaction_id,
        customer_id,
        product_id,
        quantity,
        transaction_amount,
        transaction_at,
        transaction_date,
        transaction_month,
        is_q4,
        payment_method,
        status,
        is_completed,
        product_name,
        product_category,
        customer_segment,
        country,
        _source_file,
        _loaded_at,
        _interval_start
    from versions
)

select * from enriched
