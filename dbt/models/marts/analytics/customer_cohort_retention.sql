{{
    config(
        indexes=[
            {'columns': ['cohort_month', 'month_number'], 'unique': true},
        ]
    )
}}

-- Monthly retention by acquisition cohort, as of the latest batch's as_of.
-- Cohort month: UTC month of a customer's first completed valid transaction.
-- month_number: whole calendar months from the cohort month to the activity month.
-- Every cohort has a row for each month up to the last month with activity (0 active when
-- nobody came back), so the matrix has no holes. A small table rebuilt every run from the
-- cells of int_transactions_aggregated_to_cohort_months (maintained incrementally).
with

cells as (
    select * from {{ ref('int_transactions_aggregated_to_cohort_months') }}
),

cohort_sizes as (
    select
        cohort_month,
        customers_active as cohort_size
    from cells
    where month_number = 0
),

last_activity as (
    select
        max(
            cast(cohort_month + make_interval(months => month_number) as date)
        ) as last_activity_month
    from cells
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
        coalesce(cells.customers_active, 0) as customers_active,
        round(
            cast(coalesce(cells.customers_active, 0) as numeric) / grid.cohort_size, 4
        ) as retention_rate
    from grid
    left join cells
        on
            grid.cohort_month = cells.cohort_month
            and grid.month_number = cells.month_number
)

select * from final
