-- Valid transactions only, with the product and customer attributes and calendar parts
-- that transaction analysis needs. Not as-of filtered: as-of-aware consumers filter on
-- transaction_at themselves.
with

validated as (
    select * from {{ ref('int_transactions_validated') }}
    where is_valid
),

products as (
    select * from {{ ref('stg_raw__products') }}
),

customers as (
    select * from {{ ref('stg_raw__customers') }}
),

enriched as (
    select
        validated.transaction_id,
        validated.customer_id,
        validated.product_id,
        validated.quantity,
        validated.transaction_amount,
        validated.transaction_at,
        validated.transaction_date,
        cast(date_trunc('month', validated.transaction_date) as date) as transaction_month,
        extract(quarter from validated.transaction_date) = 4 as is_q4,
        validated.payment_method,
        validated.status,
        validated.status = 'completed' as is_completed,
        products.product_name,
        products.product_category,
        customers.customer_segment,
        customers.country,
        validated._loaded_at,
        validated._interval_start
    from validated
    inner join products on validated.product_id = products.product_id
    inner join customers on validated.customer_id = customers.customer_id
)

select * from enriched
