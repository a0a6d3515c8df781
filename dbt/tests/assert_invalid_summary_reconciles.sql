-- Invalid-transaction counts by reason add up to the invalid transactions kept out of
-- the marts.
with

summarized as (
    select sum(transactions_count) as summarized_invalid
    from {{ ref('int_transactions_invalid_summarized') }}
),

validated as (
    select count(*) filter (where not is_valid) as flagged_invalid
    from {{ ref('int_transactions_validated') }}
)

select
    summarized.summarized_invalid,
    validated.flagged_invalid
from summarized
cross join validated
where summarized.summarized_invalid != validated.flagged_invalid
