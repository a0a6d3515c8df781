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
-- Incremental, per customer with changed rows (all lookups are index probes on the partial
-- index of their counted rows, one customer or one month at a time):
--   * cohort before and now: the first counted row now; before, the first of the rows kept
--     (current and older than the watermark) and the rows removed since;
--   * same cohort (an existing customer buying again): only the changed months can switch
--     between active and inactive — the cells of those months change by that;
--   * cohort changed (a new customer, a late row before the first one, a removed first row):
--     the customer leaves every cell of their months before and joins those of now.
{%- set state = incremental_state() %}
{%- set month_of = "cast(date_trunc('month', {}) as date)" %}
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

    customer_changes as (
        select
            customer_id,
            min(transaction_at) filter (where sign < 0) as first_removed_at
        from changes
        group by customer_id
    ),

    firsts as (
        select
            customer_changes.customer_id,
            (
                select min(counted.transaction_at)
                from {{ ref('int_transactions_versioned') }} as counted
                where
                    counted.customer_id = customer_changes.customer_id
                    and {{ is_counted('counted') }}
            ) as first_now_at,
            least(
                customer_changes.first_removed_at,
                (
                    select counted.transaction_at
                    from {{ ref('int_transactions_versioned') }} as counted
                    where
                        counted.customer_id = customer_changes.customer_id
                        and {{ is_counted('counted') }}
                        and counted.valid_from_batch <= {{ state.since_batch }}
                    order by counted.transaction_at
                    limit 1
                )
            ) as first_before_at
        from customer_changes
    ),

    cohorts as (
        select
            customer_id,
            {{ month_of.format(utc_date('first_now_at')) }} as cohort_now,
            {{ month_of.format(utc_date('first_before_at')) }} as cohort_before
        from firsts
    ),

    -- Same cohort: the changed months only, counted now (one month range per probe).
    changed_month_counts as (
        select
            cohorts.cohort_now as cohort_month,
            month_changes.transaction_month,
            month_changes.transactions_change,
            (
                select count(*)
                from {{ ref('int_transactions_versioned') }} as counted
                where
                    counted.customer_id = month_changes.customer_id
                    and {{ is_counted('counted') }}
                    and counted.transaction_at
                    >= cast(month_changes.transaction_month as timestamp) at time zone 'utc'
                    and counted.transaction_at
                    < cast(month_changes.transaction_month + interval '1 month' as timestamp)
                    at time zone 'utc'
            ) as transactions_now
        from month_changes
        inner join cohorts on month_changes.customer_id = cohorts.customer_id
        where cohorts.cohort_now = cohorts.cohort_before
    ),

    same_cohort_cells as (
        select
            cohort_month,
            {{ months_between('cohort_month', 'transaction_month') }} as month_number,
            case when transactions_now > 0 then 1 else 0 end
            - case when transactions_now - transactions_change > 0 then 1 else 0 end
                as customers_active
        from changed_month_counts
    ),

    -- Cohort changed: all the customer's months, now and before (= now minus the changes).
    moved_customers as (
        select customer_id from cohorts
        where cohort_now is distinct from cohort_before
    ),

    moved_months_now as (
        select
            moved_customers.customer_id,
            {{ month_of.format(utc_date('counted.transaction_at')) }} as transaction_month,
            count(*) as monthly_transactions
        from moved_customers
        cross join
            lateral (
                select versions.transaction_at
                from {{ ref('int_transactions_versioned') }} as versions
                where
                    versions.customer_id = moved_customers.customer_id
                    and {{ is_counted('versions') }}
                -- offset 0 keeps the planner from flattening this into a scan of all rows
                offset 0  -- noqa: AM09
            ) as counted
        group by moved_customers.customer_id, transaction_month
    ),

    moved_month_changes as (
        select month_changes.*
        from month_changes
        inner join moved_customers on month_changes.customer_id = moved_customers.customer_id
    ),

    moved_months_before as (
        select
            coalesce(moved_months_now.customer_id, moved_month_changes.customer_id)
                as customer_id,
            coalesce(moved_months_now.transaction_month, moved_month_changes.transaction_month)
                as transaction_month,
            coalesce(moved_months_now.monthly_transactions, 0)
            - coalesce(moved_month_changes.transactions_change, 0) as monthly_transactions
        from moved_months_now
        full outer join moved_month_changes
            on
                moved_months_now.customer_id = moved_month_changes.customer_id
                and moved_months_now.transaction_month = moved_month_changes.transaction_month
    ),

    active_months as (
        select
            1 as sign,
            moved_months_now.customer_id,
            cohorts.cohort_now as cohort_month,
            moved_months_now.transaction_month
        from moved_months_now
        inner join cohorts on moved_months_now.customer_id = cohorts.customer_id
        union all
        select
            -1 as sign,
            moved_months_before.customer_id,
            cohorts.cohort_before as cohort_month,
            moved_months_before.transaction_month
        from moved_months_before
        inner join cohorts on moved_months_before.customer_id = cohorts.customer_id
        where moved_months_before.monthly_transactions > 0
    ),

    cell_changes as (
        select
            cohort_month,
            {{ months_between('cohort_month', 'transaction_month') }} as month_number,
            sum(sign) as customers_active
        from active_months
        group by cohort_month, month_number
        union all
        select * from same_cohort_cells
    ),
{% else %}
    active_months as (
        select distinct
            customer_id,
            transaction_month
        from {{ ref('int_transactions_versioned') }}
        where {{ is_counted() }}
    ),

    cohorts as (
        select
            customer_id,
            min(transaction_month) as cohort_month
        from active_months
        group by customer_id
    ),

    cell_changes as (
        select
            cohorts.cohort_month,
            {{ months_between('cohorts.cohort_month', 'active_months.transaction_month') }}
                as month_number,
            count(*) as customers_active
        from active_months
        inner join cohorts on active_months.customer_id = cohorts.customer_id
        group by cohorts.cohort_month, month_number
    ),
{% endif %}

cells as (
    select
        cell_changes.cohort_month,
        cell_changes.month_number,
        {% if state.incremental %}coalesce(max(saved.customers_active), 0) + {% endif -%}
        sum(cell_changes.customers_active) as customers_active
    from cell_changes
    {% if state.incremental %}
        left join {{ this }} as saved
            on
                cell_changes.cohort_month = saved.cohort_month
                and cell_changes.month_number = saved.month_number
    {% endif %}
    group by cell_changes.cohort_month, cell_changes.month_number
)

select * from cells
