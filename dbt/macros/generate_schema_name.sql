{#-
    Models land in exactly the schema configured for their folder (`staging`, `intermediate`,
    `marts`, `snapshots`), not dbt's default `<target_schema>_<custom_schema>`: the warehouse
    bootstrap (`dataflow.warehouse`) owns these schemas and every consumer reads them by name.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
