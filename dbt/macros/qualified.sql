{#- `alias.a, alias.b, ...` for a list of column names. -#}
{% macro qualified(columns, alias) -%}
    {%- for column in columns -%}
        {{ alias }}.{{ column }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
