-- One row per customer: the latest version by updated_at. Ties (the same version loaded
-- twice) go to the most recently loaded row, then the last file and line.
with

source as (
    select * from {{ source('raw', 'customers') }}
),

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
            order by updated_at desc, _loaded_at desc, _source_file desc, _source_line desc
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
