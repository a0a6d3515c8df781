{{
    config(
        materialized='incremental',
        meta={'compare_with_full_refresh': false},
        unique_key=['transaction_id', 'valid_from_batch'],
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['transaction_id', 'valid_from_batch'], 'unique': true},
            {'columns': ['_source_file']},
            {'columns': ['valid_from_batch']},
        ],
        post_hook=[
            "{{ ensure_index('closed', 'closed_batch', where='closed_batch is not null') }}",
            "{{ ensure_index('counted_by_customer', 'customer_id, transaction_at', where=is_counted(), include='product_id, valid_from_batch') }}",
            "{{ ensure_index('counted_by_product', 'product_id, transaction_at', where=is_counted()) }}",
            "{{ ensure_index('invalid', 'invalid_reason', where='closed_batch is null and not is_valid') }}",
            "{{ record_watermark() }}",
        ],
    )
}}

-- Every transaction with its business validity, product/customer attributes and whether it
-- lies before as_of, versioned by batch: a version is current from `valid_from_batch` until
-- `closed_batch` (null while current). The current versions are int_transactions_validated
-- (all) and int_transactions_enriched (the valid ones); the closed ones let the aggregates
-- subtract what they counted before (macros/incremental/changes.sql: transaction_changes).
-- Validity: invalid when transaction_amount <= 0, or its customer or product is unknown;
-- invalid_reason is the first failing rule in that order, so reasons add up to the number of
-- invalid transactions (see int_transactions_invalid_summarized).
-- Incremental: recomputes the transactions whose staged version may have changed (a row in a
-- file changed since the last run, now or before), whose customer or product may have
-- changed (int_landed_file_keys) or that as_of has just passed; a transaction whose result
-- differs from its current version gets a new version, one that disappeared is closed.
-- Incremental runs also read (dependencies dbt cannot see inside the `if`):
-- depends_on: {{ ref('int_landed_files_tracked') }}
-- depends_on: {{ ref('int_landed_file_keys') }}
{%- set state = incremental_state() %}
{%- set changed_files = (
    changed_files_array('transactions', state.since_batch) if state.incremental
) %}
{%- set version_columns = [
    'transaction_id', 'customer_id', 'product_id', 'quantity', 'transaction_amount',
    'transaction_at', 'transaction_date', 'transaction_month', 'is_q4', 'payment_method',
    'status', 'is_completed', 'has_non_positive_amount', 'has_unknown_customer',
    'has_unknown_product', 'invalid_reason', 'is_valid', 'product_name', 'product_category',
    'customer_segment', 'country', 'is_before_as_of', '_source_file', '_source_line',
    '_loaded_at', '_interval_start',
] %}
with

batch as (
    select
        batch_id,
        as_of
    from {{ ref('int_transform_batches') }}
    where batch_id = {{ state.batch_id }}
),

{% if state.incremental %}
    since as (
        select as_of from {{ ref('int_transform_batches') }}
        where batch_id = {{ state.since_batch }}
    ),

    touched as (
        select transaction_id from {{ ref('stg_raw__transactions') }}
        where _source_file = any({{ changed_files }})
        union
        select transaction_id from {{ this }}
        where closed_batch is null and _source_file = any({{ changed_files }})
        union
        select transaction_id from {{ ref('stg_raw__transactions') }}
        where {{ is_touched_dimension_key('customer_id', 'customers', state.since_batch) }}
        union
        select transaction_id from {{ ref('stg_raw__transactions') }}
        where {{ is_touched_dimension_key('product_id', 'products', state.since_batch) }}
        union
        select staged.transaction_id
        from {{ ref('stg_raw__transactions') }} as staged
        cross join since
        cross join batch
        where staged.transaction_at >= since.as_of and staged.transaction_at < batch.as_of
    ),

    -- One index lookup per touched transaction (lateral), not a pass over all of them.
    transactions as (
        select staged.*
        from (select distinct transaction_id from touched) as touched_ids
        cross join lateral (
            select by_id.* from {{ ref('stg_raw__transactions') }} as by_id
            where by_id.transaction_id = touched_ids.transaction_id
            -- offset 0 keeps the planner from flattening this into a scan of all rows
            offset 0  -- noqa: AM09
        ) as staged
    ),
{% else %}
    transactions as (
        select * from {{ ref('stg_raw__transactions') }}
    ),
{% endif %}

customers as (
    select
        customer_id,
        customer_segment,
        country
    from {{ ref('stg_raw__customers') }}
),

products as (
    select
        product_id,
        product_name,
        product_category
    from {{ ref('stg_raw__products') }}
),

flagged as (
    select
        transactions.*,
        products.product_name,
        products.product_category,
        customers.customer_segment,
        customers.country,
        transactions.transaction_amount <= 0 as has_non_positive_amount,
        customers.customer_id is null as has_unknown_customer,
        products.product_id is null as has_unknown_product
    from transactions
    left join customers on transactions.customer_id = customers.customer_id
    left join products on transactions.product_id = products.product_id
),

results as (
    select
        flagged.transaction_id,
        flagged.customer_id,
        flagged.product_id,
        flagged.quantity,
        flagged.transaction_amount,
        flagged.transaction_at,
        flagged.transaction_date,
        cast(date_trunc('month', flagged.transaction_date) as date) as transaction_month,
        extract(quarter from flagged.transaction_date) = 4 as is_q4,
        flagged.payment_method,
        flagged.status,
        flagged.status = 'completed' as is_completed,
        flagged.has_non_positive_amount,
        flagged.has_unknown_customer,
        flagged.has_unknown_product,
        case
            when flagged.has_non_positive_amount then 'non_positive_amount'
            when flagged.has_unknown_customer then 'unknown_customer'
            when flagged.has_unknown_product then 'unknown_product'
        end as invalid_reason,
        (
            not flagged.has_non_positive_amount
            and not flagged.has_unknown_customer
            and not flagged.has_unknown_product
        ) as is_valid,
        flagged.product_name,
        flagged.product_category,
        flagged.customer_segment,
        flagged.country,
        flagged.transaction_at < batch.as_of as is_before_as_of,
        flagged._source_file,
        flagged._source_line,
        flagged._loaded_at,
        flagged._interval_start
    from flagged
    cross join batch
),

{% if state.incremental %}
    current_versions as (
        select saved.*
        from (select distinct transaction_id from touched) as touched_ids
        cross join lateral (
            select by_id.* from {{ this }} as by_id
            where by_id.transaction_id = touched_ids.transaction_id and by_id.closed_batch is null
            -- offset 0 keeps the planner from flattening this into a scan of all rows
            offset 0  -- noqa: AM09
        ) as saved
    ),

    closed as (
        select
            {%- for column in version_columns %}
                current_versions.{{ column }},
            {%- endfor %}
            current_versions.valid_from_batch,
            batch.batch_id as closed_batch
        from current_versions
        cross join batch
        where not exists (
            select 1 from results
            where
                results.transaction_id = current_versions.transaction_id
                and ({{ qualified(version_columns, 'results') }})
                is not distinct from ({{ qualified(version_columns, 'current_versions') }})
        )
    ),

    opened as (
        select
            {%- for column in version_columns %}
                results.{{ column }},
            {%- endfor %}
            batch.batch_id as valid_from_batch,
            cast(null as bigint) as closed_batch
        from results
        cross join batch
        where not exists (
            select 1 from current_versions
            where
                current_versions.transaction_id = results.transaction_id
                and ({{ qualified(version_columns, 'results') }})
                is not distinct from ({{ qualified(version_columns, 'current_versions') }})
        )
    ),

    versions as (
        select * from closed
        union all
        select * from opened
    )
{% else %}
    versions as (
        select
            results.*,
            batch.batch_id as valid_from_batch,
            cast(null as bigint) as closed_batch
        from results
        cross join batch
    )
{% endif %}

select * from versions
