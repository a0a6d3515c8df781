{{
    config(
        indexes=[
            {'columns': ['cohort_month', 'month_number'], 'unique': true},
        ]
    )
}}

-- Monthly retention by acquisition cohort, as of the data-interval end.
-- Cohort month: UTC month of a customer's first completed valid transaction.
-- month_number: whole calendar months from the cohort month to the activity month.
-- Every cohort has a row for each month up to the last month with activity (0 active when
-- nobody came back), so the matrix has no holes.
with

transactions as (
    select
        customer_id,
        transaction_month as activity_month
    from {{ ref('int_transactions_enriched') }}
    where is_completed and transaction_at < {{ as_of() }}
),

cohorts as (
    select
        customer_id,
        min(activity_month) as cohort_month
    from transactions
    group by customer_id
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_size
    from cohorts
    group by cohort_month
),

customer_months as (
    select distinct
        cohorts.cohort_month,
        transactions.customer_id,
        {{ months_between('cohorts.cohort_month', 'transactions.activity_month') }}
            as month_number
    from transactions
    inner join cohorts on transactions.customer_id = cohorts.customer_id
),

activity as (
    select
        cohort_month,
        month_number,
        count(*) as customers_active
    from customer_months
    group by cohort_month, month_number
),

last_activity as (
    select max(activity_month) as last_activity_month from transactions
),

grid as (
    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_size,
        month_numbers.month_number
    from cohort_sizes
    cross join last_activity
    cross join lateral generate_series(
        0,
        {{ months_between('cohort_sizes.cohort_month', 'last_activity.last_activity_month') }}
    ) as month_numbers (month_number)
),

final as (
    select
        grid.cohort_month,
        grid.month_number,
        cast(
            grid.cohort_month + make_interval(months => grid.month_number) as date
        ) as activity_month,
        grid.cohort_size,
        coalesce(activity.customers_active, 0) as customers_active,
        round(
            cast(coalesce(activity.customers_active, 0) as numeric) / grid.cohort_size, 4
        ) as retention_rate
    from grid
    left join activity
        on
            grid.cohort_month = activity.cohort_month
            and grid.month_number = activity.month_number
)

select * from final
