{#-
    The basket contents that changed since `since_batch`, as signed rows (sign, customer_id,
    transaction_date, product_id): +1 for every product of a changed basket now, -1 for every
    product it held before. A basket is one customer's completed, valid transactions before
    as_of on one UTC day; a product counts once per basket. The contents now come from an
    index probe on the customer's rows of that day; before = now minus the signed changes.
    With since_batch = 0 (full build): every basket now, sign +1.
-#}
{% macro basket_product_changes(since_batch, incremental) -%}
    {%- if incremental -%}
    with

    changes as (
        select * from ({{ transaction_changes(since_batch) }}) as all_changes
        where is_valid and is_before_as_of and is_completed
    ),

    item_changes as (
        select
            customer_id,
            transaction_date,
            product_id,
            sum(sign) as transactions_change
        from changes
        group by customer_id, transaction_date, product_id
    ),

    baskets as (
        select distinct
            customer_id,
            transaction_date
        from item_changes
    ),

    items_now as (
        select
            counted.customer_id,
            counted.transaction_date,
            counted.product_id,
            count(*) as transactions
        from baskets
        inner join {{ ref('int_transactions_versioned') }} as counted
            on
                baskets.customer_id = counted.customer_id
                and counted.transaction_at
                >= cast(baskets.transaction_date as timestamp) at time zone 'utc'
                and counted.transaction_at
                < cast(baskets.transaction_date + 1 as timestamp) at time zone 'utc'
                and baskets.transaction_date = counted.transaction_date
        where {{ is_counted('counted') }}
        group by counted.customer_id, counted.transaction_date, counted.product_id
    ),

    items_before as (
        select
            coalesce(items_now.customer_id, item_changes.customer_id) as customer_id,
            coalesce(items_now.transaction_date, item_changes.transaction_date)
                as transaction_date,
            coalesce(items_now.product_id, item_changes.product_id) as product_id,
            coalesce(items_now.transactions, 0)
            - coalesce(item_changes.transactions_change, 0) as transactions
        from items_now
        full outer join item_changes
            on
                items_now.customer_id = item_changes.customer_id
                and items_now.transaction_date = item_changes.transaction_date
                and items_now.product_id = item_changes.product_id
    )

    select
        1 as sign,
        customer_id,
        transaction_date,
        product_id
    from items_now
    union all
    select
        -1 as sign,
        customer_id,
        transaction_date,
        product_id
    from items_before
    where transactions > 0
    {%- else -%}
    select distinct
        1 as sign,
        customer_id,
        transaction_date,
        product_id
    from {{ ref('int_transactions_versioned') }}
    where {{ is_counted() }}
    {%- endif -%}
{%- endmacro %}
