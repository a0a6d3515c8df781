{#-
    Fails on every row where `expression` is not true (null counts as a failure).
    Usable on a model or on a column (column_name is accepted and unused: the expression
    names its columns).
-#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
