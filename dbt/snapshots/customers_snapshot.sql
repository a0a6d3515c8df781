{#-
    SCD type 2 of each customer's segment and country. `check` strategy on those two columns;
    `updated_at` makes dbt_valid_from / dbt_valid_to the customer's own update time rather
    than the snapshot run time, so reruns and backfills give the same history.
    Once the snapshot exists it selects only the customers a customer file loaded, reloaded or
    removed since its last run holds or held (int_landed_file_keys): the others cannot have
    changed, and a snapshot leaves the rows it does not select as they are.
-#}
{% snapshot customers_snapshot %}
    {{
        config(
            target_schema='snapshots',
            unique_key='customer_id',
            strategy='check',
            check_cols=['customer_segment', 'country'],
            updated_at='updated_at',
            post_hook=["{{ record_watermark() }}"],
        )
    }}
    -- depends_on: {{ ref('int_landed_files_tracked') }}
    -- depends_on: {{ ref('int_landed_file_keys') }}
    {%- set since_batch = snapshot_since_batch() %}

    select
        customer_id,
        customer_segment,
        country,
        updated_at
    from {{ ref('stg_raw__customers') }}
    {% if since_batch is not none %}
        where {{ is_touched_dimension_key('customer_id', 'customers', since_batch) }}
    {% endif %}
{% endsnapshot %}
