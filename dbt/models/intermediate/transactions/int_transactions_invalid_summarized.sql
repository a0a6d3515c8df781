-- How many transactions are kept out of the marts, by reason. Every reason has a row
-- (0 when none) so monitoring can alert on a count without special-casing absent rows.
with

validated as (
    select * from {{ ref('int_transactions_validated') }}
),

reasons as (
    select reason as invalid_reason
    from (
        values ('non_positive_amount'), ('unknown_customer'), ('unknown_product')
    ) as known_reasons (reason)
),

invalid_counts as (
    select
        invalid_reason,
        count(*) as transactions_count,
        sum(transaction_amount) as transaction_amount_total,
        max(_loaded_at) as last_loaded_at
    from validated
    where not is_valid
    group by invalid_reason
),

summarized as (
    select
        reasons.invalid_reason,
        coalesce(invalid_counts.transactions_count, 0) as transactions_count,
        coalesce(invalid_counts.transaction_amount_total, 0) as transaction_amount_total,
        invalid_counts.last_loaded_at
    from reasons
    left join invalid_counts on reasons.invalid_reason = invalid_counts.invalid_reason
)

select * from summarized
