{{
    config(
        indexes=[
            {'columns': ['product_id', 'associated_product_id'], 'unique': true},
            {'columns': ['associated_product_id']},
        ]
    )
}}

-- Market-basket analysis. A basket is one customer's completed, valid transactions on one
-- UTC calendar day (customer_id, transaction_date), before the data-interval end; a product
-- counts once per basket whatever the quantity. One row per ordered pair (A -> B):
--   support    = baskets with A and B / all baskets
--   confidence = baskets with A and B / baskets with A
--   lift       = confidence / (baskets with B / all baskets)
-- Pairs below var('product_affinity_min_support') are left out.
with

basket_items as (
    select distinct
        customer_id,
        transaction_date,
        product_id
    from {{ ref('int_transactions_enriched') }}
    where is_completed and transaction_at < {{ as_of() }}
),

baskets as (
    select distinct
        customer_id,
        transaction_date
    from basket_items
),

basket_totals as (
    select cast(count(*) as numeric) as total_baskets
    from baskets
),

product_baskets as (
    select
        product_id,
        count(*) as baskets_with_product
    from basket_items
    group by product_id
),

pairs as (
    select
        item.product_id,
        associated.product_id as associated_product_id,
        count(*) as baskets_with_both
    from basket_items as item
    inner join basket_items as associated
        on
            item.customer_id = associated.customer_id
            and item.transaction_date = associated.transaction_date
            and item.product_id != associated.product_id
    group by item.product_id, associated.product_id
),

measured as (
    select
        pairs.product_id,
        pairs.associated_product_id,
        pairs.baskets_with_both,
        antecedent.baskets_with_product,
        consequent.baskets_with_product as baskets_with_associated_product,
        pairs.baskets_with_both / basket_totals.total_baskets as support,  -- noqa: RF04
        cast(pairs.baskets_with_both as numeric) / antecedent.baskets_with_product
            as confidence,
        (cast(pairs.baskets_with_both as numeric) / antecedent.baskets_with_product)
        / (consequent.baskets_with_product / basket_totals.total_baskets) as lift
    from pairs
    cross join basket_totals
    inner join product_baskets as antecedent on pairs.product_id = antecedent.product_id
    inner join product_baskets as consequent
        on pairs.associated_product_id = consequent.product_id
),

final as (
    select
        product_id,
        associated_product_id,
        baskets_with_both,
        baskets_with_product,
        baskets_with_associated_product,
        round(support, 6) as support,  -- noqa: RF04
        round(confidence, 6) as confidence,
        round(lift, 6) as lift
    from measured
    where support >= {{ var('product_affinity_min_support') }}
)

select * from final
