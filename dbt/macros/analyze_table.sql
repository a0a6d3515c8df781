{#-
    Post-hook of staging and intermediate: `analyze` the table just written, so the next model
    is planned with real statistics. Views have nothing to analyze.
-#}
{% macro analyze_table() -%}
    {%- if model.config.materialized in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
