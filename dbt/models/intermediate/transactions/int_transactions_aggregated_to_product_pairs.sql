{{
    config(
        materialized='incremental',
        unique_key=['product_id', 'associated_product_id'],
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['product_id', 'associated_product_id'], 'unique': true},
        ],
        post_hook=[
            "delete from {{ this }} where baskets = 0",
            "{{ record_watermark() }}",
        ],
    )
}}

-- Baskets per ordered product pair (the counts of product_affinity). A basket is one
-- customer's completed, valid transactions before as_of on one UTC day; a product counts once
-- per basket. `baskets` = baskets holding both products; on the diagonal (associated_product_id
-- = product_id) it is the number of baskets holding the product. One row per pair in at least
-- one basket.
-- Incremental: a new hour touches only its own baskets; for each changed basket the pairs it
-- holds now are added and the pairs it held before subtracted (macros/incremental/baskets.sql).
{%- set state = incremental_state() %}
with

basket_products as (
    {{ basket_product_changes(state.since_batch, state.incremental) }}
),

pair_changes as (
    select
        item.product_id,
        associated.product_id as associated_product_id,
        sum(item.sign) as baskets
    from basket_products as item
    inner join basket_products as associated
        on
            item.sign = associated.sign
            and item.customer_id = associated.customer_id
            and item.transaction_date = associated.transaction_date
    group by item.product_id, associated.product_id
),

pairs as (
    select
        pair_changes.product_id,
        pair_changes.associated_product_id,
        {% if state.incremental %}coalesce(saved.baskets, 0) + {% endif -%}
        pair_changes.baskets as baskets
    from pair_changes
    {% if state.incremental %}
        left join {{ this }} as saved
            on
                pair_changes.product_id = saved.product_id
                and pair_changes.associated_product_id = saved.associated_product_id
    {% endif %}
)

select * from pairs
