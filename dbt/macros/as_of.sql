{#-
    The instant the marts are computed "as of": the as_of of the latest batch of
    int_transform_batches, i.e. the latest data_interval_end the transformations ran for. It
    never moves backwards, so rerunning an older interval recomputes the marts from its
    corrected raw data at the same as_of. Rows with `transaction_at >= as_of` are not counted.
-#}
{% macro as_of() -%}
    (
        select batches.as_of from {{ ref('int_transform_batches') }} as batches
        order by batches.batch_id desc
        limit 1
    )
{%- endmacro %}
