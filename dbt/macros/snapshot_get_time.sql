{#-
    dbt-postgres stamps snapshots with `timestamp without time zone`, while our `updated_at`
    (which the snapshot uses for dbt_valid_from / dbt_valid_to) is `timestamptz`. Use
    timestamptz for the snapshot clock too so all snapshot timestamps are UTC instants of the
    same type, whatever the session time zone.
-#}
{% macro postgres__snapshot_get_time() -%}
    {{ current_timestamp() }}
{%- endmacro %}
