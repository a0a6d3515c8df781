{{
    config(
        materialized='incremental',
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['customer_id'], 'unique': true},
            {'columns': ['_source_file']},
        ],
        post_hook=[
            "{{ delete_keys_without_raw_rows('customer_id', source('raw', 'customers'), 'customers') }}",
            "{{ record_watermark() }}",
        ],
    )
}}

-- One row per customer, its newest version: the latest `updated_at`; ties (the same version
-- delivered twice) go to the latest landing interval, then the last file, then the last line.
-- Never the load time (see stg_raw__transactions).
-- Incremental: re-derives the newest version of every customer with a row in a file loaded,
-- reloaded or removed since the last run, or whose stored version came from one; the
-- post-hook deletes customers that have no raw row left.
-- Incremental runs also read (dependencies dbt cannot see inside the `if`):
-- depends_on: {{ ref('int_landed_files_tracked') }}
{%- set state = incremental_state() %}
{%- set changed_files = (
    changed_files_array('customers', state.since_batch) if state.incremental
) %}
with

{% if state.incremental %}
    touched as (
        select customer_id from {{ source('raw', 'customers') }}
        where _source_file = any({{ changed_files }})
        union
        select customer_id from {{ this }}
        where _source_file = any({{ changed_files }})
    ),

    -- One index lookup per touched key (lateral): the touched keys are an hour's worth, the
    -- raw table is all history.
    source as (
        select raw_rows.*
        from touched
        cross join lateral (
            select by_key.* from {{ source('raw', 'customers') }} as by_key
            where by_key.customer_id = touched.customer_id
            -- offset 0 keeps the planner from flattening this into a scan of all rows
            offset 0  -- noqa: AM09
        ) as raw_rows
    ),
{% else %}
    source as (
        select * from {{ source('raw', 'customers') }}
    ),
{% endif %}

renamed as (
    select
        customer_id,
        nullif(lower(trim(email)), '') as email,
        nullif(trim(first_name), '') as first_name,
        nullif(trim(last_name), '') as last_name,
        nullif(trim(country), '') as country,
        coalesce(nullif(lower(trim(customer_segment)), ''), 'unknown') as customer_segment,
        registration_date,
        last_login_at,
        updated_at,
        _source_file,
        _source_line,
        _loaded_at,
        _interval_start
    from source
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by {{ newest_version_order('updated_at') }}
        ) as version_rank
    from renamed
),

latest as (
    select
        customer_id,
        email,
        {{ is_valid_email('email') }} as is_email_valid,
        first_name,
        last_name,
        country,
        customer_segment,
        registration_date,
        last_login_at,
        updated_at,
        _source_file,
        _source_line,
        _loaded_at,
        _interval_start
    from ranked
    where version_rank = 1
)

select * from latest
