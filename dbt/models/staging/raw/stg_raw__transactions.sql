-- One row per transaction: the most recently loaded row (then last file, last line) wins.
-- Row-level business validity (amount, unknown customer/product) is decided downstream in
-- int_transactions_validated, because it needs joins that staging does not do.
with

source as (
    select * from {{ source('raw', 'transactions') }}
),

renamed as (
    select
        transaction_id,
        customer_id,
        product_id,
        quantity,
        transaction_amount,
        transaction_at,
        {{ utc_date('transaction_at') }} as transaction_date,
        nullif(lower(trim(payment_method)), '') as payment_method,
        lower(trim(status)) as status,
        _source_file,
        _source_line,
        _loaded_at,
        _interval_start
    from source
),

ranked as (
    select
        *,
        row_number() over (
            partition by transaction_id
            order by _loaded_at desc, _source_file desc, _source_line desc
        ) as version_rank
    from renamed
),

latest as (
    select
        transaction_id,
        customer_id,
        product_id,
        quantity,
        transaction_amount,
        transaction_at,
        transaction_date,
        payment_method,
        status,
        _source_file,
        _source_line,
        _loaded_at,
        _interval_start
    from ranked
    where version_rank = 1
)

select * from latest
