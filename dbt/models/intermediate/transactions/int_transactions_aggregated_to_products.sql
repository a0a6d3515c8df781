-- Product performance as of the run's data-interval end (valid transactions with
-- transaction_at < as_of). One row per product with at least one transaction.
with

transactions as (
    select * from {{ ref('int_transactions_enriched') }}
    where transaction_at < {{ as_of() }}
),

aggregated as (
    select
        product_id,
        count(*) filter (where is_completed) as completed_transactions,
        count(*) filter (where status = 'refunded') as refunded_transactions,
        coalesce(sum(quantity) filter (where is_completed), 0) as units_sold,
        coalesce(sum(transaction_amount) filter (where is_completed), 0) as total_revenue,
        count(distinct customer_id) filter (where is_completed) as distinct_customers,
        min(transaction_at) filter (where is_completed) as first_sold_at,
        max(transaction_at) filter (where is_completed) as last_sold_at
    from transactions
    group by product_id
)

select * from aggregated
