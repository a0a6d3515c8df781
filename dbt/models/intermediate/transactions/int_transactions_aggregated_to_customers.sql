{{
    config(
        materialized='incremental',
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['customer_id'], 'unique': true},
        ],
        post_hook=[
            "delete from {{ this }} where total_transactions = 0",
            "{{ record_watermark() }}",
        ],
    )
}}

-- Customer transaction metrics as of the batch's as_of: completed, valid transactions with
-- transaction_at < as_of. One row per customer with at least one. top_categories = up to 3
-- categories by number of completed transactions, descending, ties by category name.
-- Incremental: counts and sums add the signed changes of the versions since the last run;
-- first/last_transaction_at take the least/greatest of the added rows, and are looked up
-- again (an index probe) for customers that lost a row; categories are re-read from
-- int_transactions_aggregated_to_customer_categories for the customers that changed.
{%- set state = incremental_state() %}
with

{% if state.incremental %}
    changes as (
        select * from ({{ transaction_changes(state.since_batch) }}) as all_changes
        where is_valid and is_before_as_of and is_completed
    ),

    deltas as (
        select
            customer_id,
            sum(sign) as total_transactions,
            sum(sign * transaction_amount) as total_spent,
            coalesce(sum(sign) filter (where is_q4), 0) as q4_transactions,
            coalesce(sum(sign * transaction_amount) filter (where is_q4), 0) as q4_spending,
            min(transaction_at) filter (where sign > 0) as first_added_at,
            max(transaction_at) filter (where sign > 0) as last_added_at,
            bool_or(sign < 0) as has_removals
        from changes
        group by customer_id
    ),

    metrics as (
        select
            deltas.customer_id,
            coalesce(saved.total_transactions, 0) + deltas.total_transactions
                as total_transactions,
            coalesce(saved.total_spent, 0) + deltas.total_spent as total_spent,
            case
                when deltas.has_removals
                    then (
                        select min(counted.transaction_at)
                        from {{ ref('int_transactions_versioned') }} as counted
                        where
                            counted.customer_id = deltas.customer_id
                            and {{ is_counted('counted') }}
                    )
                else least(saved.first_transaction_at, deltas.first_added_at)
            end as first_transaction_at,
            case
                when deltas.has_removals
                    then (
                        select max(counted.transaction_at)
                        from {{ ref('int_transactions_versioned') }} as counted
                        where
                            counted.customer_id = deltas.customer_id
                            and {{ is_counted('counted') }}
                    )
                else greatest(saved.last_transaction_at, deltas.last_added_at)
            end as last_transaction_at,
            coalesce(saved.q4_transactions, 0) + deltas.q4_transactions as q4_transactions,
            coalesce(saved.q4_spending, 0) + deltas.q4_spending as q4_spending
        from deltas
        left join {{ this }} as saved on deltas.customer_id = saved.customer_id
    ),

    category_counts as (
        select category_counts.*
        from {{ ref('int_transactions_aggregated_to_customer_categories') }} as category_counts
        where category_counts.customer_id in (select deltas.customer_id from deltas)
    ),
{% else %}
    metrics as (
        select
            customer_id,
            count(*) as total_transactions,
            sum(transaction_amount) as total_spent,
            min(transaction_at) as first_transaction_at,
            max(transaction_at) as last_transaction_at,
            count(*) filter (where is_q4) as q4_transactions,
            coalesce(sum(transaction_amount) filter (where is_q4), 0) as q4_spending
        from {{ ref('int_transactions_versioned') }}
        where {{ is_counted() }}
        group by customer_id
    ),

    category_counts as (
        select * from {{ ref('int_transactions_aggregated_to_customer_categories') }}
    ),
{% endif %}

ranked_categories as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by transactions_count desc, product_category asc
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

aggregated as (
    select
        metrics.customer_id,
        metrics.total_transactions,
        metrics.total_spent,
        metrics.first_transaction_at,
        metrics.last_transaction_at,
        categories.top_categories,
        coalesce(categories.category_diversity, 0) as category_diversity,
        metrics.q4_transactions,
        metrics.q4_spending
    from metrics
    left join categories on metrics.customer_id = categories.customer_id
)

select * from aggregated
