{{
    config(
        materialized='incremental',
        unique_key=['customer_id', 'product_category'],
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['customer_id', 'product_category'], 'unique': true},
        ],
        post_hook=[
            "delete from {{ this }} where transactions_count = 0",
            "{{ record_watermark() }}",
        ],
    )
}}

-- Completed, valid transactions before as_of per customer and product category (the input of
-- customer_360's top_categories and category_diversity). One row per pair with at least one.
-- Incremental: adds the signed changes of the versions since the last run to the stored
-- counts (pairs that reach 0 are deleted by the post-hook).
{%- set state = incremental_state() %}
with

{% if state.incremental %}
    changes as (
        {{ transaction_changes(state.since_batch) }}
    ),

    deltas as (
        select
            customer_id,
            product_category,
            sum(sign) as transactions_count
        from changes
        where is_valid and is_before_as_of and is_completed
        group by customer_id, product_category
    ),

    counts as (
        select
            deltas.customer_id,
            deltas.product_category,
            coalesce(saved.transactions_count, 0) + deltas.transactions_count
                as transactions_count
        from deltas
        left join {{ this }} as saved
            on
                deltas.customer_id = saved.customer_id
                and deltas.product_category = saved.product_category
    )
{% else %}
    counts as (
        select
            customer_id,
            product_category,
            count(*) as transactions_count
        from {{ ref('int_transactions_versioned') }}
        where {{ is_counted() }}
        group by customer_id, product_category
    )
{% endif %}

select * from counts
