-- Customer transaction metrics as of the run's data-interval end: completed, valid
-- transactions with transaction_at < as_of. One row per customer with at least one.
with

transactions as (
    select * from {{ ref('int_transactions_enriched') }}
    where is_completed and transaction_at < {{ as_of() }}
),

category_counts as (
    select
        customer_id,
        product_category,
        count(*) as category_transactions
    from transactions
    group by customer_id, product_category
),

ranked_categories as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by category_transactions desc, product_category asc
        ) as category_rank
    from category_counts
),

categories as (
    select
        customer_id,
        string_agg(product_category, ', ' order by category_rank) filter (
            where category_rank <= 3
        ) as top_categories,
        count(*) as category_diversity
    from ranked_categories
    group by customer_id
),

metrics as (
    select
        customer_id,
        count(*) as total_transactions,
        sum(transaction_amount) as total_spent,
        min(transaction_at) as first_transaction_at,
        max(transaction_at) as last_transaction_at,
        count(*) filter (where is_q4) as q4_transactions,
        coalesce(sum(transaction_amount) filter (where is_q4), 0) as q4_spending
    from transactions
    group by customer_id
),

aggregated as (
    select
        metrics.customer_id,
        metrics.total_transactions,
        metrics.total_spent,
        metrics.first_transaction_at,
        metrics.last_transaction_at,
        categories.top_categories,
        categories.category_diversity,
        metrics.q4_transactions,
        metrics.q4_spending
    from metrics
    inner join categories on metrics.customer_id = categories.customer_id
)

select * from aggregated
