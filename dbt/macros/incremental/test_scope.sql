{#-
    Data tests on the tables that grow with history check, on an incremental run, only the
    rows the latest batch changed (the usual `where` of tests on incremental models): a test
    config `where: "__latest_batch_files__"` keeps the rows whose `_source_file` was loaded,
    reloaded or removed in the latest batch; `"__latest_batch_transactions__"` the
    transactions whose version changed in it. On a full build (`--full-refresh`, or the first
    build, whose batch holds every file) they cover every row. The unique indexes of these
    tables enforce key uniqueness over all rows anyway.
-#}
{% macro postgres__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where == '__latest_batch_files__' -%}
        {%- set where = latest_batch_files_predicate() -%}
    {%- elif where == '__latest_batch_transactions__' -%}
        {%- set where = latest_batch_transactions_predicate() -%}
    {%- endif -%}
    {%- if where -%}
        (select * from {{ relation }} where {{ where }}) dbt_subquery
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}


{#-
    The relation of a model of this project by name, without `ref()`: tests cannot declare
    dependencies on the bookkeeping models from inside `get_where_subquery`, and they only
    read them (built earlier in the same batch).
-#}
{% macro model_relation(name) -%}
    {%- if not execute -%}
        {{ return(api.Relation.create(schema='intermediate', identifier=name)) }}
    {%- endif -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ name] -%}
    {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}


{% macro latest_batch_id_sql() -%}
    (select max(batch_id) from {{ model_relation('int_transform_batches') }})
{%- endmacro %}


{% macro latest_batch_files_predicate(column='_source_file') -%}
    {%- if flags.FULL_REFRESH -%}
        true
    {%- else -%}
        {{ column }} in (
            select source_file from {{ model_relation('int_landed_files_tracked') }}
            where
                added_batch = {{ latest_batch_id_sql() }}
                or removed_batch = {{ latest_batch_id_sql() }}
        )
    {%- endif -%}
{%- endmacro %}


{% macro latest_batch_transactions_predicate(column='transaction_id') -%}
    {%- if flags.FULL_REFRESH -%}
        true
    {%- else -%}
        {%- set versions = model_relation('int_transactions_versioned') -%}
        {{ column }} in (
            select transaction_id from {{ versions }}
            where valid_from_batch = {{ latest_batch_id_sql() }}
            union
            select transaction_id from {{ versions }}
            where closed_batch = {{ latest_batch_id_sql() }}
        )
    {%- endif -%}
{%- endmacro %}
