{{
    config(
        indexes=[
            {'columns': ['customer_id'], 'unique': true},
            {'columns': ['rfm_segment']},
            {'columns': ['lifecycle_stage']},
            {'columns': ['value_tier']},
        ]
    )
}}

-- One row per customer (invalid emails included and flagged), computed as of the latest
-- batch's as_of from completed, valid transactions with transaction_at < as_of.
-- A table rebuilt every run, from the per-customer aggregate (maintained incrementally, one
-- row per customer) and not from transactions: the as_of-dependent columns
-- (days_since_last_transaction, lifecycle_stage, recency_score, rfm_score, rfm_segment)
-- change for every customer whenever as_of moves, so only their inputs can be incremental.
with

customers as (
    select * from {{ ref('stg_raw__customers') }}
),

metrics as (
    select * from {{ ref('int_transactions_aggregated_to_customers') }}
),

joined as (
    select
        customers.customer_id,
        customers.email,
        customers.first_name,
        customers.last_name,
        customers.country,
        customers.customer_segment,
        customers.registration_date,
        customers.is_email_valid,
        coalesce(metrics.total_transactions, 0) as total_transactions,
        coalesce(metrics.total_spent, 0) as total_spent,
        metrics.first_transaction_at,
        metrics.last_transaction_at,
        {{ utc_date(as_of()) }} - {{ utc_date('metrics.last_transaction_at') }}
            as days_since_last_transaction,
        metrics.top_categories,
        coalesce(metrics.category_diversity, 0) as category_diversity,
        coalesce(metrics.q4_transactions, 0) as q4_transactions,
        coalesce(metrics.q4_spending, 0) as q4_spending
    from customers
    left join metrics on customers.customer_id = metrics.customer_id
),

scored as (
    select
        *,
        case
            when total_transactions > 0 then round(total_spent / total_transactions, 2)
            else 0
        end as avg_transaction_amount,
        case
            when total_spent > 10000 then 'high_value'
            when total_spent > 1000 then 'medium_value'
            when total_spent > 0 then 'low_value'
            else 'no_purchases'
        end as value_tier,
        case
            when days_since_last_transaction is null then 'never_purchased'
            when days_since_last_transaction <= 30 then 'active'
            when days_since_last_transaction <= 90 then 'at_risk'
            when days_since_last_transaction <= 365 then 'dormant'
            else 'churned'
        end as lifecycle_stage,
        case
            when days_since_last_transaction <= 30 then 5
            when days_since_last_transaction <= 60 then 4
            when days_since_last_transaction <= 90 then 3
            when days_since_last_transaction <= 180 then 2
            else 1
        end as recency_score,
        case
            when total_transactions >= 50 then 5
            when total_transactions >= 20 then 4
            when total_transactions >= 10 then 3
            when total_transactions >= 5 then 2
            else 1
        end as frequency_score,
        case
            when total_spent >= 10000 then 5
            when total_spent >= 5000 then 4
            when total_spent >= 1000 then 3
            when total_spent >= 500 then 2
            else 1
        end as monetary_score
    from joined
),

final as (
    select
        customer_id,
        email,
        first_name,
        last_name,
        country,
        customer_segment,
        registration_date,
        is_email_valid,
        total_transactions,
        total_spent,
        avg_transaction_amount,
        first_transaction_at,
        last_transaction_at,
        days_since_last_transaction,
        value_tier,
        lifecycle_stage,
        recency_score,
        frequency_score,
        monetary_score,
        recency_score + frequency_score + monetary_score as rfm_score,
        case
            when recency_score + frequency_score + monetary_score >= 12 then 'champions'
            when recency_score + frequency_score + monetary_score >= 9 then 'loyal_customers'
            when recency_score + frequency_score + monetary_score >= 6
                then 'potential_loyalists'
            else 'at_risk'
        end as rfm_segment,
        top_categories,
        category_diversity,
        q4_transactions,
        q4_spending,
        {{ as_of() }} as as_of
    from scored
)

select * from final
