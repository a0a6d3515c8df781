{{
    config(
        materialized='incremental',
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['customer_id'], 'unique': true},
            {'columns': ['email']},
            {'columns': ['customer_segment']},
        ],
        post_hook=[
            "{{ delete_customers_gone_from_staging() }}",
            "{{ record_watermark() }}",
        ],
    )
}}

-- Current state of every customer (SCD type 1); history of segment and country lives in
-- the customers_snapshot snapshot.
-- Incremental: rewrites the customers a customer file loaded, reloaded or removed since the
-- last run holds or held (int_landed_file_keys); the post-hook deletes those of them that
-- staging no longer has.
-- Incremental runs also read (dependencies dbt cannot see inside the `if`):
-- depends_on: {{ ref('int_landed_files_tracked') }}
-- depends_on: {{ ref('int_landed_file_keys') }}
{%- set state = incremental_state() %}
with

customers as (
    select * from {{ ref('stg_raw__customers') }}
    {% if state.incremental %}
        where {{ is_touched_dimension_key('customer_id', 'customers', state.since_batch) }}
    {% endif %}
),

final as (
    select
        customer_id,
        email,
        is_email_valid,
        first_name,
        last_name,
        country,
        customer_segment,
        registration_date,
        last_login_at,
        updated_at
    from customers
)

select * from final
