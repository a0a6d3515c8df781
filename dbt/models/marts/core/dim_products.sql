{{
    config(
        indexes=[
            {'columns': ['product_id'], 'unique': true},
            {'columns': ['product_category']},
        ]
    )
}}

-- Current state of every product with its performance as of the data-interval end.
with

products as (
    select * from {{ ref('stg_raw__products') }}
),

performance as (
    select * from {{ ref('int_transactions_aggregated_to_products') }}
),

final as (
    select
        products.product_id,
        products.product_name,
        products.product_category,
        products.unit_price,
        products.updated_at,
        coalesce(performance.completed_transactions, 0) as completed_transactions,
        coalesce(performance.refunded_transactions, 0) as refunded_transactions,
        coalesce(performance.units_sold, 0) as units_sold,
        coalesce(performance.total_revenue, 0) as total_revenue,
        coalesce(performance.distinct_customers, 0) as distinct_customers,
        performance.first_sold_at,
        performance.last_sold_at
    from products
    left join performance on products.product_id = performance.product_id
)

select * from final
