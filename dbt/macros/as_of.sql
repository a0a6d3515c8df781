{#-
    The instant the marts are computed "as of": the end of the run's data interval
    (`--vars '{"data_interval_end": "..."}'`), or the current time when the var is absent.
    Rows with `transaction_at >= as_of` are ignored by as-of-aware models, so a rerun of the
    same interval gives the same result even after later intervals were loaded.
-#}
{% macro as_of() -%}
    {%- set data_interval_end = var('data_interval_end', none) -%}
    {%- if data_interval_end -%}
        cast('{{ data_interval_end }}' as timestamptz)
    {%- else -%}
        current_timestamp
    {%- endif -%}
{%- endmacro %}
