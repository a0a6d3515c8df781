{{
    config(
        materialized='incremental',
        unique_key='transaction_date',
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['transaction_date'], 'unique': true},
        ],
        post_hook=[
            "delete from {{ this }} where baskets = 0",
            "{{ record_watermark() }}",
        ],
    )
}}

-- Baskets per UTC day (their sum is product_affinity's number of baskets). A basket is one
-- customer's completed, valid transactions before as_of on one UTC day. One row per day with
-- at least one basket.
-- Incremental: the changed baskets that exist now are added, those that existed before
-- subtracted (macros/incremental/baskets.sql).
{%- set state = incremental_state() %}
with

basket_products as (
    {{ basket_product_changes(state.since_batch, state.incremental) }}
),

basket_changes as (
    select distinct
        sign,
        customer_id,
        transaction_date
    from basket_products
),

date_changes as (
    select
        transaction_date,
        sum(sign) as baskets
    from basket_changes
    group by transaction_date
),

dates as (
    select
        date_changes.transaction_date,
        {% if state.incremental %}coalesce(saved.baskets, 0) + {% endif -%}
        date_changes.baskets as baskets
    from date_changes
    {% if state.incremental %}
        left join {{ this }} as saved on date_changes.transaction_date = saved.transaction_date
    {% endif %}
)

select * from dates
