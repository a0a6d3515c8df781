{#-
    Incremental bookkeeping shared by every incremental model (see dbt/README.md, "Incremental
    models"). A *batch* is one pass of the transformations: `int_transform_batches` adds one row
    per dbt invocation that selects it. Each incremental model records, in the watermark table
    (`intermediate.dbt_incremental_watermarks`, created by on-run-start), the batch it last
    brought itself up to; its next incremental run processes exactly the changes of the batches
    after that one. The watermark is written by a post-hook inside the model's own transaction,
    so a model's rows and its watermark commit together.
-#}

{#- The watermark table's relation. -#}
{% macro watermark_relation() -%}
    {{ return(source('dbt_incremental', 'dbt_incremental_watermarks')) }}
{%- endmacro %}


{#-
    SQL run before every invocation: the watermark table (the dbt project owns it). Under an
    advisory lock, because Cosmos runs several dbt invocations at once and concurrent
    `create ... if not exists` of the same table can still collide.
-#}
{% macro create_watermark_table() -%}
    do $create_watermark_table$
    begin
        perform pg_advisory_xact_lock(724903);
        create schema if not exists intermediate;
        create table if not exists intermediate.dbt_incremental_watermarks (
            model text primary key,
            batch_id bigint not null,
            updated_at timestamptz not null default now()
        );
    end
    $create_watermark_table$
{%- endmacro %}


{#- The latest batch of int_transform_batches (0 before the first one). -#}
{% macro current_batch_id() -%}
    {%- set batches = ref('int_transform_batches') -%}
    {%- if not execute -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set result = run_query('select coalesce(max(batch_id), 0) from ' ~ batches) -%}
    {{ return(result.columns[0].values()[0] | int) }}
{%- endmacro %}


{#- This model's watermark, or none when it has none yet (first build). -#}
{% macro stored_watermark() -%}
    {%- set watermarks = watermark_relation() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set result = run_query(
        "select batch_id from " ~ watermarks ~ " where model = '" ~ this.identifier ~ "'"
    ) -%}
    {%- if result.rows | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(result.columns[0].values()[0] | int) }}
{%- endmacro %}


{#-
    What this run of the model must do, as a dict:
      batch_id     the batch this run brings the model up to
      since_batch  the model's watermark on an incremental run (changes of later batches are
                   processed); 0 on a full build
      incremental  is_incremental()
    An incremental run without a watermark, or with one ahead of the latest batch, means the
    bookkeeping was lost: that fails with the command that repairs it.
-#}
{% macro incremental_state() -%}
    {%- set batch_id = current_batch_id() -%}
    {%- set incremental = is_incremental() -%}
    {%- if not incremental -%}
        {{ return({'batch_id': batch_id, 'since_batch': 0, 'incremental': false}) }}
    {%- endif -%}
    {%- set since_batch = stored_watermark() -%}
    {%- if since_batch is none or since_batch > batch_id -%}
        {{ exceptions.raise_compiler_error(
            this.identifier ~ " exists but its watermark in " ~ watermark_relation()
            ~ " is " ~ (since_batch if since_batch is not none else "missing")
            ~ " (latest batch " ~ batch_id ~ "): the incremental bookkeeping was lost. Rebuild"
            ~ " it and everything after it: dbt build --full-refresh --select "
            ~ this.identifier ~ "+"
        ) }}
    {%- endif -%}
    {{ return({'batch_id': batch_id, 'since_batch': since_batch, 'incremental': true}) }}
{%- endmacro %}


{#-
    The watermark of this model on an incremental run, for post-hooks: none on a first build
    (no watermark yet) and on a full refresh, where there is nothing to clean up.
-#}
{% macro hook_since_batch() -%}
    {%- if not execute or should_full_refresh() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(stored_watermark()) }}
{%- endmacro %}


{#- Post-hook: record that this model is up to date with the latest batch. -#}
{% macro record_watermark() -%}
    insert into {{ watermark_relation() }} (model, batch_id, updated_at)
    values ('{{ this.identifier }}', {{ current_batch_id() }}, now())
    on conflict (model) do update
        set batch_id = excluded.batch_id, updated_at = excluded.updated_at
{%- endmacro %}


{#- The snapshot's watermark when the snapshot table exists, else none (select everything). -#}
{% macro snapshot_since_batch() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if adapter.get_relation(this.database, this.schema, this.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(stored_watermark()) }}
{%- endmacro %}


{#- True when this invocation builds models (`dbt run` / `dbt build`), not when it compiles. -#}
{% macro invocation_runs_models() -%}
    {{ return(flags.WHICH in ('run', 'build')) }}
{%- endmacro %}
