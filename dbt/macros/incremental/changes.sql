{#-
    What changed after a batch, in the shapes the incremental models read. All of them take the
    model's `since_batch` (its watermark) and cover every batch after it, so a model that missed
    batches (a failed run) catches up on all of them at once.
-#}

{#-
    The files of raw.<source_name> that were loaded, reloaded or removed after `since_batch`
    (int_landed_files_tracked), as a SQL array literal (`array[...]::text[]`). Rows of these
    files are the only raw rows that can have appeared or disappeared since. A literal, not a
    subquery: the planner then estimates `_source_file = any(...)` from the column statistics
    (an hour's file is a small share of history) and reads the rows through the index.
-#}
{% macro changed_files_array(source_name, since_batch) -%}
    {%- set files = ref('int_landed_files_tracked') -%}
    {%- if not execute -%}
        {{ return("array[]::text[]") }}
    {%- endif -%}
    {%- set result = run_query(
        "select distinct source_file from " ~ files ~ " where source = '" ~ source_name
        ~ "' and (added_batch > " ~ since_batch ~ " or removed_batch > " ~ since_batch ~ ")"
        ~ " order by 1"
    ) -%}
    {%- set quoted = [] -%}
    {%- for name in result.columns[0].values() -%}
        {%- do quoted.append(dbt.string_literal(name | replace("'", "''"))) -%}
    {%- endfor -%}
    {{ return("array[" ~ quoted | join(", ") ~ "]::text[]") }}
{%- endmacro %}


{#-
    `select key_id` of the customers or products (source_name) that a file loaded, reloaded or
    removed after `since_batch` held: their current version may have changed, appeared or
    disappeared. Removed files still list their keys (int_landed_file_keys keeps them).
-#}
{% macro touched_dimension_keys(source_name, since_batch) -%}
    select distinct file_keys.key_id
    from {{ ref('int_landed_files_tracked') }} as files
    inner join {{ ref('int_landed_file_keys') }} as file_keys
        on
            files.source = file_keys.source
            and files.source_file = file_keys.source_file
            and files.load_id = file_keys.load_id
    where
        files.source = '{{ source_name }}'
        and (files.added_batch > {{ since_batch }} or files.removed_batch > {{ since_batch }})
{%- endmacro %}


{#-
    `column` is one of the touched_dimension_keys: `column = any(array[...])` with the keys
    read now, so the planner sees how few there are (an hour touches a few hundred customers)
    and uses the column's index; above `max_literal` keys (a reloaded backfill file) the
    subquery itself, for a hash join.
-#}
{% macro is_touched_dimension_key(column, source_name, since_batch, max_literal=20000) -%}
    {%- set keys_sql = touched_dimension_keys(source_name, since_batch) -%}
    {%- if not execute -%}
        {{ column }} in ({{ keys_sql }})
    {%- else -%}
        {%- set keys = run_query(keys_sql ~ " limit " ~ (max_literal + 1)).columns[0].values() -%}
        {%- if keys | length > max_literal -%}
            {{ column }} in ({{ keys_sql }})
        {%- else -%}
            {{ column }} = any(array[{{ keys | join(', ') }}]::bigint[])
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#-
    Signed changes of int_transactions_versioned between batch `since_batch` and now: the
    versions current now but not then (sign +1) and those current then but not now (sign -1).
    Summing `sign * measure` over them turns an aggregate as of `since_batch` into the
    aggregate now. With since_batch = 0 it is every current version, sign +1.
-#}
{% macro transaction_changes(since_batch) -%}
    select
        1 as sign,
        versions.*
    from {{ ref('int_transactions_versioned') }} as versions
    where versions.valid_from_batch > {{ since_batch }} and versions.closed_batch is null
    union all
    select
        -1 as sign,
        versions.*
    from {{ ref('int_transactions_versioned') }} as versions
    where versions.closed_batch > {{ since_batch }} and versions.valid_from_batch <= {{ since_batch }}
{%- endmacro %}


{#-
    The predicate of the versions every aggregate counts: current, valid, before as_of and,
    with `completed_only`, completed. Partial indexes of int_transactions_versioned use the
    same predicate, so lookups of "the customer's (product's) counted rows now" use them.
-#}
{% macro is_counted(alias=none, completed_only=true) -%}
    {%- set prefix = alias ~ '.' if alias else '' -%}
    {{ prefix }}closed_batch is null and {{ prefix }}is_valid and {{ prefix }}is_before_as_of
    {%- if completed_only %} and {{ prefix }}is_completed{% endif %}
{%- endmacro %}


{#-
    Post-hook of the staging models: after an incremental run re-derived the latest version of
    every key found in a changed file, a row that still comes from a changed file but whose key
    has no raw row at all any more was reloaded away: delete it.
-#}
{% macro delete_keys_without_raw_rows(key, raw_relation, source_name) -%}
    {%- set since_batch = hook_since_batch() -%}
    {%- if since_batch is none -%}
        select 1
    {%- else -%}
        {#- A correlated scalar subquery, not `not exists`: the planner would make that an
            anti-join over all raw rows; this is one index probe per candidate row. -#}
        delete from {{ this }} as kept
        where
            kept._source_file = any({{ changed_files_array(source_name, since_batch) }})
            and (
                select 1 from {{ raw_relation }} as raw_rows
                where raw_rows.{{ key }} = kept.{{ key }}
                limit 1
            ) is null
    {%- endif -%}
{%- endmacro %}


{#-
    Post-hook: a partial or INCLUDE index (which the `indexes` config cannot express) named
    `ix_<name>_<table oid>`, created unless it exists. The table's oid in the name keeps it
    unique: a full refresh builds a new table (new oid) and swaps it in, and gets its own index.
-#}
{% macro ensure_index(name, columns, where=none, include=none) -%}
    {%- set definition = '(' ~ columns ~ ')'
        ~ (' include (' ~ include ~ ')' if include else '')
        ~ (' where ' ~ where if where else '') -%}
    do $ensure_index$
    declare
        index_name text := 'ix_{{ name }}_' || '"{{ this.schema }}"."{{ this.identifier }}"'::regclass::oid;
    begin
        if to_regclass('{{ this.schema }}.' || index_name) is null then
            execute format('create index %I on {{ this }} {{ definition | replace("'", "''") }}', index_name);
        end if;
    end
    $ensure_index$
{%- endmacro %}


{#- `select transaction_id` of the transactions whose current version changed after `since_batch`. -#}
{% macro changed_transaction_ids(since_batch) -%}
    select transaction_id from {{ ref('int_transactions_versioned') }}
    where valid_from_batch > {{ since_batch }}
    union
    select transaction_id from {{ ref('int_transactions_versioned') }}
    where closed_batch > {{ since_batch }}
{%- endmacro %}


{#-
    Post-hook of fct_transactions: of the transactions changed since the last run, delete the
    ones that have no current valid version (invalid now, or gone).
-#}
{% macro delete_transactions_no_longer_valid() -%}
    {%- set since_batch = hook_since_batch() -%}
    {%- if since_batch is none -%}
        select 1
    {%- else -%}
        {#- `= any(array(...))` and a scalar subquery: index probes, not joins over all rows. -#}
        delete from {{ this }} as fct
        where
            fct.transaction_id = any(array({{ changed_transaction_ids(since_batch) }}))
            and (
                select 1 from {{ ref('int_transactions_versioned') }} as versions
                where
                    versions.transaction_id = fct.transaction_id
                    and versions.closed_batch is null
                    and versions.is_valid
                limit 1
            ) is null
    {%- endif -%}
{%- endmacro %}


{#- Post-hook of dim_customers: touched customers that staging no longer has are deleted. -#}
{% macro delete_customers_gone_from_staging() -%}
    {%- set since_batch = hook_since_batch() -%}
    {%- if since_batch is none -%}
        select 1
    {%- else -%}
        delete from {{ this }} as dim
        where
            {{ is_touched_dimension_key('dim.customer_id', 'customers', since_batch) }}
            and (
                select 1 from {{ ref('stg_raw__customers') }} as staged
                where staged.customer_id = dim.customer_id
                limit 1
            ) is null
    {%- endif -%}
{%- endmacro %}
