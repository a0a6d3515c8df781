{#-
    True when `column` (already trimmed and lower-cased) looks like an address:
    a local part, one `@`, a dotted domain ending in an alphabetic TLD of two or more letters.
    Null is not valid.
-#}
{% macro is_valid_email(column) -%}
    coalesce({{ column }} ~ '^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$', false)
{%- endmacro %}
