{{
    config(
        materialized='incremental',
        unique_key='product_id',
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['product_id'], 'unique': true},
        ],
        post_hook=[
            "delete from {{ this }} where transactions_count = 0",
            "{{ record_watermark() }}",
        ],
    )
}}

-- Product performance as of the batch's as_of (valid transactions with transaction_at <
-- as_of, any status). One row per product with at least one.
-- Incremental: counts and sums add the signed changes of the versions since the last run.
-- distinct_customers changes by one for each (product, customer) whose count of completed
-- transactions moved between 0 and positive: the count now is looked up (index probe on the
-- customer's rows), the count before is that minus the change. first/last_sold_at as in
-- int_transactions_aggregated_to_customers.
{%- set state = incremental_state() %}
with

{% if state.incremental %}
    changes as (
        select * from ({{ transaction_changes(state.since_batch) }}) as all_changes
        where is_valid and is_before_as_of
    ),

    deltas as (
        select
            product_id,
            sum(sign) as transactions_count,
            coalesce(sum(sign) filter (where is_completed), 0) as completed_transactions,
            coalesce(sum(sign) filter (where status = 'refunded'), 0) as refunded_transactions,
            coalesce(sum(sign * quantity) filter (where is_completed), 0) as units_sold,
            coalesce(sum(sign * transaction_amount) filter (where is_completed), 0)
                as total_revenue,
            min(transaction_at) filter (where sign > 0 and is_completed) as first_added_at,
            max(transaction_at) filter (where sign > 0 and is_completed) as last_added_at,
            coalesce(bool_or(sign < 0 and is_completed), false) as has_removals
        from changes
        group by product_id
    ),

    customer_changes as (
        select
            product_id,
            customer_id,
            sum(sign) as completed_change
        from changes
        where is_completed
        group by product_id, customer_id
    ),

    customer_counts as (
        select
            customer_changes.product_id,
            customer_changes.customer_id,
            customer_changes.completed_change,
            (
                select count(*)
                from {{ ref('int_transactions_versioned') }} as counted
                where
                    counted.customer_id = customer_changes.customer_id
                    and counted.product_id = customer_changes.product_id
                    and {{ is_counted('counted') }}
            ) as completed_now
        from customer_changes
    ),

    distinct_deltas as (
        select
            product_id,
            sum(
                case when completed_now > 0 then 1 else 0 end
                - case when completed_now - completed_change > 0 then 1 else 0 end
            ) as distinct_customers
        from customer_counts
        group by product_id
    ),

    aggregated as (
        select
            deltas.product_id,
            coalesce(saved.completed_transactions, 0) + deltas.completed_transactions
                as completed_transactions,
            coalesce(saved.refunded_transactions, 0) + deltas.refunded_transactions
                as refunded_transactions,
            coalesce(saved.units_sold, 0) + deltas.units_sold as units_sold,
            coalesce(saved.total_revenue, 0) + deltas.total_revenue as total_revenue,
            coalesce(saved.distinct_customers, 0)
            + coalesce(distinct_deltas.distinct_customers, 0) as distinct_customers,
            case
                when deltas.has_removals
                    then (
                        select min(counted.transaction_at)
                        from {{ ref('int_transactions_versioned') }} as counted
                        where
                            counted.product_id = deltas.product_id
                            and {{ is_counted('counted') }}
                    )
                else least(saved.first_sold_at, deltas.first_added_at)
            end as first_sold_at,
            case
                when deltas.has_removals
                    then (
                        select max(counted.transaction_at)
                        from {{ ref('int_transactions_versioned') }} as counted
                        where
                            counted.product_id = deltas.product_id
                            and {{ is_counted('counted') }}
                    )
                else greatest(saved.last_sold_at, deltas.last_added_at)
            end as last_sold_at,
            coalesce(saved.transactions_count, 0) + deltas.transactions_count
                as transactions_count
        from deltas
        left join {{ this }} as saved on deltas.product_id = saved.product_id
        left join distinct_deltas on deltas.product_id = distinct_deltas.product_id
    )
{% else %}
    aggregated as (
        select
            product_id,
            count(*) filter (where is_completed) as completed_transactions,
            count(*) filter (where status = 'refunded') as refunded_transactions,
            coalesce(sum(quantity) filter (where is_completed), 0) as units_sold,
            coalesce(sum(transaction_amount) filter (where is_completed), 0) as total_revenue,
            count(distinct customer_id) filter (where is_completed) as distinct_customers,
            min(transaction_at) filter (where is_completed) as first_sold_at,
            max(transaction_at) filter (where is_completed) as last_sold_at,
            count(*) as transactions_count
        from {{ ref('int_transactions_versioned') }}
        where {{ is_counted(completed_only=false) }}
        group by product_id
    )
{% endif %}

select * from aggregated
