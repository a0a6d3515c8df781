-- The incremental fct_transactions must hold exactly the valid transactions, each in its
-- newest version: no missing, stale or no-longer-valid rows. On incremental runs it checks
-- the transactions of the files the latest batch changed (a full refresh checks all).
with

expected as (
    select
        transaction_id,
        _loaded_at
    from {{ ref('int_transactions_enriched') }}
    where {{ latest_batch_files_predicate() }}
),

actual as (
    select
        transaction_id,
        _loaded_at
    from {{ ref('fct_transactions') }}
    where {{ latest_batch_files_predicate() }}
),

expected_only as (
    select * from expected
    except
    select * from actual
),

actual_only as (
    select * from actual
    except
    select * from expected
),

missing_or_stale as (
    select
        'missing_or_stale' as problem,
        transaction_id
    from expected_only
),

unexpected as (
    select
        'unexpected' as problem,
        transaction_id
    from actual_only
)

select * from missing_or_stale
union all
select * from unexpected
