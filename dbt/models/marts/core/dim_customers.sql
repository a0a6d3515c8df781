{{
    config(
        indexes=[
            {'columns': ['customer_id'], 'unique': true},
            {'columns': ['email']},
            {'columns': ['customer_segment']},
        ]
    )
}}

-- Current state of every customer (SCD type 1); history of segment and country lives in
-- the customers_snapshot snapshot.
with

customers as (
    select * from {{ ref('stg_raw__customers') }}
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
