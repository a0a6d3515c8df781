{#-
    Unit-test fixtures for the `this` input of incremental models (`format: sql`). dbt reads
    the types of a `this` fixture from the existing table, which does not exist on a first
    build; these fixtures carry their own types, so the unit tests also pass on an empty
    warehouse. Columns not given in a row are null.
-#}
{% macro incremental_fixture_columns(model_name) -%}
    {%- set columns = {
        'int_transactions_versioned': {
            'transaction_id': 'bigint', 'customer_id': 'bigint', 'product_id': 'bigint',
            'quantity': 'bigint', 'transaction_amount': 'numeric(14,2)', 'transaction_at': 'timestamptz',
            'transaction_date': 'date', 'transaction_month': 'date', 'is_q4': 'boolean',
            'payment_method': 'text', 'status': 'text', 'is_completed': 'boolean',
            'has_non_positive_amount': 'boolean', 'has_unknown_customer': 'boolean',
            'has_unknown_product': 'boolean', 'invalid_reason': 'text', 'is_valid': 'boolean',
            'product_name': 'text', 'product_category': 'text', 'customer_segment': 'text',
            'country': 'text', 'is_before_as_of': 'boolean', '_source_file': 'text',
            '_source_line': 'bigint', '_loaded_at': 'timestamptz', '_interval_start': 'timestamptz',
            'valid_from_batch': 'bigint', 'closed_batch': 'bigint',
        },
        'int_transactions_aggregated_to_customers': {
            'customer_id': 'bigint', 'total_transactions': 'bigint', 'total_spent': 'numeric',
            'first_transaction_at': 'timestamptz', 'last_transaction_at': 'timestamptz',
            'top_categories': 'text', 'category_diversity': 'bigint',
            'q4_transactions': 'bigint', 'q4_spending': 'numeric',
        },
        'int_transactions_aggregated_to_products': {
            'product_id': 'bigint', 'completed_transactions': 'bigint',
            'refunded_transactions': 'bigint', 'units_sold': 'numeric', 'total_revenue': 'numeric',
            'distinct_customers': 'bigint', 'first_sold_at': 'timestamptz',
            'last_sold_at': 'timestamptz', 'transactions_count': 'bigint',
        },
        'int_transactions_aggregated_to_cohort_months': {
            'cohort_month': 'date', 'month_number': 'integer', 'customers_active': 'bigint',
        },
        'int_transactions_aggregated_to_product_pairs': {
            'product_id': 'bigint', 'associated_product_id': 'bigint', 'baskets': 'bigint',
        },
        'int_transactions_aggregated_to_basket_dates': {
            'transaction_date': 'date', 'baskets': 'bigint',
        },
    } -%}
    {{ return(columns[model_name]) }}
{%- endmacro %}


{% macro incremental_fixture(model_name, rows) -%}
    {%- set columns = incremental_fixture_columns(model_name) -%}
    {%- for row in rows %}
    select
        {%- for column, data_type in columns.items() %}
        cast({{ "'" ~ row[column] ~ "'" if row.get(column) is not none else 'null' }} as {{ data_type }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
    {%- if rows | length == 0 %}
    select
        {%- for column, data_type in columns.items() %}
        cast(null as {{ data_type }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    where false
    {%- endif %}
{%- endmacro %}
