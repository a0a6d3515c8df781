{{
    config(
        materialized='incremental',
        unique_key=['cohort_month', 'month_number'],
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['cohort_month', 'month_number'], 'unique': true},
        ],
        post_hook=[
            "delete from {{ this }} where customers_active = 0",
            "{{ record_watermark() }}",
        ],
    )
}}

-- Active customers per acquisition cohort and month (the cells of
-- customer_cohort_retention), from completed, valid transactions before as_of. A customer's
-- cohort is the UTC month of their first such transaction; they are active in every month in
-- which they have one; month_number = calendar months from the cohort month. One row per cell
-- with at least one active customer (month 0 of a cohort = its size).
-- Incremental: for each customer with changed rows, their active months now (index probe on
-- their rows) and before (now minus the signed changes) give the cells they leave and join.
{%- set state = incremental_state() %}
with

{% if state.incremental %}
    changes as (
        select * from ({{ transaction_changes(state.since_batch) }}) as all_changes
        where is_valid and is_before_as_of and is_completed
    ),

    month_changes as (
        select
            customer_id,
            transaction_month,
            sum(sign) as transactions_change
        from changes
        group by customer_id, transaction_month
    ),

    months_now as (
        select
            counted.customer_id,
            counted.transaction_month,
            count(*) as transactions
        from {{ ref('int_transactions_versioned') }} as counted
        where
            counted.customer_id in (select customer_id from month_changes)
            and {{ is_counted('counted') }}
        group by counted.customer_id, counted.transaction_month
    ),

    months_before as (
        select
            coalesce(months_now.customer_id, month_changes.customer_id) as customer_id,
            coalesce(months_now.transaction_month, month_changes.transaction_month)
                as transaction_month,
            coalesce(months_now.transactions, 0)
            - coalesce(month_changes.transactions_change, 0) as transactions
        from months_now
        full outer join month_changes
            on
                months_now.customer_id = month_changes.customer_id
                and months_now.transaction_month = month_changes.transaction_month
    ),

    active_months as (
        select
            1 as sign,
            customer_id,
            transaction_month
        from months_now
        union all
        select
            -1 as sign,
            customer_id,
            transaction_month
        from months_before
        where transactions > 0
    ),
{% else %}
    active_months as (
        select distinct
            1 as sign,
            customer_id,
            transaction_month
        from {{ ref('int_transactions_versioned') }}
        where {{ is_counted() }}
    ),
{% endif %}

cohorts as (
    select
        sign,
        customer_id,
        min(transaction_month) as cohort_month
    from active_months
    group by sign, customer_id
),

cell_changes as (
    select
        cohorts.cohort_month,
        {{ months_between('cohorts.cohort_month', 'active_months.transaction_month') }}
            as month_number,
        sum(active_months.sign) as customers_active
    from active_months
    inner join cohorts
        on
            active_months.sign = cohorts.sign
            and active_months.customer_id = cohorts.customer_id
    group by 1, 2
),

cells as (
    select
        cell_changes.cohort_month,
        cell_changes.month_number,
        {% if state.incremental %}coalesce(stored.customers_active, 0) + {% endif -%}
        cell_changes.customers_active as customers_active
    from cell_changes
    {% if state.incremental %}
        left join {{ this }} as stored
            on
                cell_changes.cohort_month = stored.cohort_month
                and cell_changes.month_number = stored.month_number
    {% endif %}
)

select * from cells
