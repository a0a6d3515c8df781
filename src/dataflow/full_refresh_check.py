"""Do the incrementally maintained dbt relations equal a ``dbt build --full-refresh``?

The correctness criterion of the incremental models (dbt/README.md): after any sequence of
hourly runs, late rows, corrected files and reruns, every staging, intermediate and mart
relation equals what a full refresh computes from the same raw data, row for row.
:func:`full_refresh_differences` copies every compared relation aside, runs the full refresh
in place, and diffs each relation with ``EXCEPT ALL`` both ways over all its columns.

Relations whose content is history by design (the batch bookkeeping, the versions of
``int_transactions_versioned``, the snapshot) carry ``meta: {compare_with_full_refresh:
false}`` in their dbt config and are left out; the current versions are compared through
``int_transactions_validated``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from dataflow.settings import Settings

COMPARE_SCHEMA = "dataflow_full_refresh_check"
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class TableDifference:
    """Rows of one relation that differ between the incremental state and the full refresh."""

    relation: str
    rows: int  # rows only in the incremental state + rows only in the full refresh
    incremental_only: list[tuple] = field(default_factory=list)  # up to SAMPLE_ROWS each
    full_refresh_only: list[tuple] = field(default_factory=list)
    columns: tuple[str, ...] = ()

    def describe(self) -> str:
        """The differing rows, for an assertion message or a log."""
        lines = [f"{self.relation}: {self.rows} differing row(s); columns {self.columns}"]
        lines += [f"  incremental only: {row}" for row in self.incremental_only]
        lines += [f"  full refresh only: {row}" for row in self.full_refresh_only]
        return "\n".join(lines)


def compared_relations(settings: Settings) -> list[str]:
    """``schema.name`` of every dbt model compared with a full refresh (from the manifest)."""
    from dataflow.transform import build_manifest

    manifest = json.loads(build_manifest(settings).read_text())
    relations = []
    for node in manifest["nodes"].values():
        config = node.get("config", {})
        if node["resource_type"] != "model" or not config.get("enabled", True):
            continue
        if config.get("meta", {}).get("compare_with_full_refresh", True):
            relations.append(f"{node['schema']}.{node['alias']}")
    return sorted(relations)


def full_refresh_differences(settings: Settings, dbt_vars: dict) -> dict[str, TableDifference]:
    """Run ``dbt build --full-refresh --vars dbt_vars`` and diff every compared relation.

    ``dbt_vars`` should be those of the latest interval (as_of never moves backwards, so an
    older interval gives the same as_of). Leaves the warehouse in its full-refresh state.
    Raises :class:`dataflow.transform.DbtRunError` when the full refresh itself fails.
    """
    import psycopg

    from dataflow.transform import run_dbt

    relations = compared_relations(settings)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        copy_aside(conn, relations)
        run_dbt(settings, ["build", "--full-refresh", "--vars", json.dumps(dbt_vars)])
        differences = {relation: diff_relation(conn, relation) for relation in relations}
        conn.execute(f"drop schema if exists {COMPARE_SCHEMA} cascade")
    return differences


def copy_aside(conn, relations: list[str]) -> None:
    """An unlogged copy of each relation's current rows in :data:`COMPARE_SCHEMA`."""
    conn.execute(f"drop schema if exists {COMPARE_SCHEMA} cascade")
    conn.execute(f"create schema {COMPARE_SCHEMA}")
    for relation in relations:
        conn.execute(f"create unlogged table {copy_of(relation)} as select * from {relation}")


def copy_of(relation: str) -> str:
    schema, name = relation.split(".")
    return f'{COMPARE_SCHEMA}."{schema}__{name}"'


def relation_columns(conn, relation: str) -> tuple[str, ...]:
    schema, name = relation.split(".")
    rows = conn.execute(
        "select attname from pg_attribute where attrelid = to_regclass(%s) "
        "and attnum > 0 and not attisdropped order by attnum",
        (f'"{schema}"."{name}"',),
    ).fetchall()
    return tuple(r[0] for r in rows)


def diff_relation(conn, relation: str) -> TableDifference:
    """Rows only in the copy (incremental) and only in the relation now (full refresh)."""
    columns = relation_columns(conn, relation)
    select_list = ", ".join(f'"{c}"' for c in columns)
    old = f"select {select_list} from {copy_of(relation)}"
    new = f"select {select_list} from {relation}"
    incremental_only = f"({old} except all {new})"
    full_refresh_only = f"({new} except all {old})"
    count = conn.execute(
        f"select (select count(*) from {incremental_only} a) "
        f"+ (select count(*) from {full_refresh_only} b)"
    ).fetchone()[0]
    if not count:
        return TableDifference(relation, 0, columns=columns)
    return TableDifference(
        relation,
        count,
        conn.execute(f"select * from {incremental_only} a limit {SAMPLE_ROWS}").fetchall(),
        conn.execute(f"select * from {full_refresh_only} b limit {SAMPLE_ROWS}").fetchall(),
        columns,
    )
