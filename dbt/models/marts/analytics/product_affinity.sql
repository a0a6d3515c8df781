{{
    config(
        indexes=[
            {'columns': ['product_id', 'associated_product_id'], 'unique': true},
            {'columns': ['associated_product_id']},
        ]
    )
}}

-- Market-basket analysis. A basket is one customer's completed, valid transactions on one
-- UTC calendar day (customer_id, transaction_date), before the latest batch's as_of; a
-- product counts once per basket whatever the quantity. One row per ordered pair (A -> B):
--   support    = baskets with A and B / all baskets
--   confidence = baskets with A and B / baskets with A
--   lift       = confidence / (baskets with B / all baskets)
-- Pairs below var('product_affinity_min_support') are left out. A table rebuilt every run
-- from the basket counts, which are maintained incrementally
-- (int_transactions_aggregated_to_product_pairs, int_transactions_aggregated_to_basket_dates):
-- every ratio depends on the number of all baskets, so it changes every run.
with

pair_counts as (
    select * from {{ ref('int_transactions_aggregated_to_product_pairs') }}
),

pairs as (
    select
        product_id,
        associated_product_id,
        baskets as baskets_with_both
    from pair_counts
    where product_id != associated_product_id
),

product_baskets as (
    select
        product_id,
        baskets as baskets_with_product
    from pair_counts
    where product_id = associated_product_id
),

basket_totals as (
    select cast(sum(baskets) as numeric) as total_baskets
    from {{ ref('int_transactions_aggregated_to_basket_dates') }}
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
