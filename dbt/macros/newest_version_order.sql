{#-
    `order by` of the versions of one key, newest first: the latest landing interval, then the
    last file, then the last line. Never `_loaded_at`: a rerun of an older interval loads its
    rows later, yet they are older versions. `leading` puts business columns first (customers
    and products: the latest `updated_at`).
-#}
{% macro newest_version_order(leading=none) -%}
    {%- if leading %}{{ leading }} desc, {% endif -%}
    _interval_start desc, _source_file desc, _source_line desc
{%- endmacro %}
