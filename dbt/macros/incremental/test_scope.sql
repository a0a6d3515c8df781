{#-
    Data tests on the tables that grow with history check, on an incremental run, only the
    rows the latest batch brought (the usual `where` of tests on incremental models): a test
    config `where: "__latest_batch_files__"` keeps the rows whose `_source_file` was loaded,
    reloaded or removed in the latest batch. On a full refresh they cover every row, and the
    first build's batch holds every file anyway. The unique indexes of these tables enforce
    key uniqueness over all rows.
-#}
{% macro postgres__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where == '__latest_batch_files__' -%}
        {%- set where = latest_batch_files_predicate() -%}
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


{#-
    `column` is a file loaded, reloaded or removed in the latest batch, as a literal array (the
    planner then reads those rows through the `_source_file` index); `true` on a full refresh
    and before the first build (source tests run before any model).
-#}
{% macro latest_batch_files_predicate(column='_source_file') -%}
    {%- set files = model_relation('int_landed_files_tracked') -%}
    {%- set batches = model_relation('int_transform_batches') -%}
    {%- if flags.FULL_REFRESH or not execute
        or load_relation(files) is none or load_relation(batches) is none -%}
        {#- A full refresh, or before the first build made the bookkeeping: every row. -#}
        true
    {%- else -%}
        {%- set result = run_query(
            "select distinct source_file from " ~ files ~ " where (select max(batch_id) from "
            ~ batches ~ ") in (added_batch, removed_batch) order by 1"
        ) -%}
        {%- set quoted = [] -%}
        {%- for name in result.columns[0].values() -%}
            {%- do quoted.append(dbt.string_literal(name | replace("'", "''"))) -%}
        {%- endfor -%}
        {{ column }} = any(array[{{ quoted | join(', ') }}]::text[])
    {%- endif -%}
{%- endmacro %}
