-- Every deduplicated transaction with its row-level business validity. A transaction is
-- invalid when its amount is not positive, or its customer or product is unknown.
-- invalid_reason is the first failing rule in that order, so reasons add up to the
-- number of invalid transactions (see int_transactions_invalid_summarized).
with

transactions as (
    select * from {{ ref('stg_raw__transactions') }}
),

customers as (
    select customer_id from {{ ref('stg_raw__customers') }}
),

products as (
    select product_id from {{ ref('stg_raw__products') }}
),

flagged as (
    select
        transactions.*,
        transactions.transaction_amount <= 0 as has_non_positive_amount,
        customers.customer_id is null as has_unknown_customer,
        products.product_id is null as has_unknown_product
    from transactions
    left join customers on transactions.customer_id = customers.customer_id
    left join products on transactions.product_id = products.product_id
),

validated as (
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
        has_non_positive_amount,
        has_unknown_customer,
        has_unknown_product,
        case
            when has_non_positive_amount then 'non_positive_amount'
            when has_unknown_customer then 'unknown_customer'
            when has_unknown_product then 'unknown_product'
        end as invalid_reason,
        (
            not has_non_positive_amount
            and not has_unknown_customer
            and not has_unknown_product
        ) as is_valid,
        _source_file,
        _source_line,
        _loaded_at,
        _interval_start
    from flagged
)

select * from validated
