{#- Calendar date of a timestamptz in UTC, independent of the session time zone. -#}
{% macro utc_date(timestamp_expression) -%}
    cast(({{ timestamp_expression }}) at time zone 'utc' as date)
{%- endmacro %}
