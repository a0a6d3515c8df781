{#-
    on-run-end hook (dbt_project.yml): the latest result of every model, snapshot, seed and
    test this invocation ran goes to `audit.dbt_node_results` (one row per node and schema),
    however dbt was invoked (Cosmos task, `dbt build`, tests). The metrics exporter reads it
    for dbt test failures and per-model freshness (dataflow.monitoring). The table belongs to
    the warehouse bootstrap; where it does not exist (a foreign warehouse) nothing is recorded,
    so monitoring never fails a dbt run.
-#}
{% macro record_dbt_results(results) -%}
    {%- if not execute or not results -%}
        {{ return('') }}
    {%- endif -%}
    {%- set table = adapter.get_relation(database=target.database, schema='audit', identifier='dbt_node_results') -%}
    {%- if table is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set interval_end = var('data_interval_end', none) -%}
    {%- set rows = [] -%}
    {%- for result in results if result.node.resource_type in ('model', 'snapshot', 'seed', 'test') -%}
        {%- set node = result.node -%}
        {%- set status = result.status | string -%}
        {%- set failures = result.failures if result.failures is not none else 'null' -%}
        {%- set relation = (node.schema ~ '.' ~ (node.alias or node.name)) if node.resource_type != 'test' else none -%}
        {%- do rows.append(
            "(" ~ dbt.string_literal(node.unique_id)
            ~ ", " ~ dbt.string_literal(node.schema)
            ~ ", " ~ dbt.string_literal(node.resource_type)
            ~ ", " ~ dbt.string_literal(node.name)
            ~ ", " ~ (dbt.string_literal(relation) if relation else 'null')
            ~ ", " ~ dbt.string_literal(status)
            ~ ", " ~ failures
            ~ ", " ~ (dbt.string_literal(interval_end) if interval_end else 'null')
            ~ ")"
        ) -%}
    {%- endfor -%}
    {%- if not rows -%}
        {{ return('') }}
    {%- endif -%}
    insert into audit.dbt_node_results as r (
        unique_id, schema_name, resource_type, node_name, relation_name, last_status,
        last_failures, last_run_at, last_success_at, last_success_data_interval_end,
        last_invocation_id, last_command
    )
    select v.unique_id, v.schema_name, v.resource_type, v.node_name, v.relation_name,
        v.status, v.failures::bigint, now(),
        case when v.status in ('success', 'pass') then now() end,
        case when v.status in ('success', 'pass') then v.interval_end::timestamptz end,
        {{ dbt.string_literal(invocation_id) }}, {{ dbt.string_literal(flags.WHICH) }}
    from (values {{ rows | join(', ') }}) as v (
        unique_id, schema_name, resource_type, node_name, relation_name, status, failures,
        interval_end
    )
    on conflict (unique_id, schema_name) do update set
        resource_type = excluded.resource_type,
        node_name = excluded.node_name,
        relation_name = excluded.relation_name,
        last_status = excluded.last_status,
        last_failures = excluded.last_failures,
        last_run_at = excluded.last_run_at,
        last_success_at = coalesce(excluded.last_success_at, r.last_success_at),
        last_success_data_interval_end = case when excluded.last_success_at is not null
            then excluded.last_success_data_interval_end else r.last_success_data_interval_end end,
        last_invocation_id = excluded.last_invocation_id,
        last_command = excluded.last_command
{%- endmacro %}
