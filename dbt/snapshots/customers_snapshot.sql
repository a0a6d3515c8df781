{#-
    SCD type 2 of each customer's segment and country. `check` strategy on those two columns;
    `updated_at` makes dbt_valid_from / dbt_valid_to the customer's own update time rather
    than the snapshot run time, so reruns and backfills give the same history.
-#}
{% snapshot customers_snapshot %}
    {{
        config(
            target_schema='snapshots',
            unique_key='customer_id',
            strategy='check',
            check_cols=['customer_segment', 'country'],
            updated_at='updated_at',
        )
    }}

    select
        customer_id,
        customer_segment,
        country,
        updated_at
    from {{ ref('stg_raw__customers') }}
{% endsnapshot %}
