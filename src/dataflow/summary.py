"""The operator-facing summary printed after ``dataflow demo``: what landed where."""

from __future__ import annotations

from dataflow.settings import Settings

LAYERS = ("raw", "staging", "intermediate", "marts", "snapshots")


def relation_counts(conn, schema: str) -> list[tuple[str, int]]:
    names = [
        r[0]
        for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s "
            "order by table_name",
            (schema,),
        ).fetchall()
    ]
    return [(n, conn.execute(f'select count(*) from {schema}."{n}"').fetchone()[0]) for n in names]


def quarantine_reasons(conn, limit: int = 5) -> list[tuple[str, int]]:
    # Reasons carry the offending value after a colon; group by the kind before it.
    return conn.execute(
        "select split_part(reason, ':', 1) as kind, count(*) from audit.quarantine "
        "group by 1 order by 2 desc, 1 limit %s",
        (limit,),
    ).fetchall()


def load_totals(conn) -> tuple[int, int, int]:
    return conn.execute(
        "select coalesce(sum(rows_received), 0), coalesce(sum(rows_loaded), 0), "
        "coalesce(sum(rows_quarantined), 0) from audit.load_audit"
    ).fetchone()


def validation_overview(conn) -> list[tuple]:
    """The latest validation run per suite: expectations passed/failed by severity."""
    return conn.execute(
        """
        with latest as (
            select distinct on (suite) suite, run_id, interval_start
            from audit.validation_results order by suite, validated_at desc
        )
        select v.suite, v.severity, count(*) filter (where v.success),
               count(*) filter (where not v.success),
               coalesce(string_agg(case when not v.success then v.expectation ||
                        coalesce('(' || v.column_name || ')', '') end, ', '), '')
        from audit.validation_results v
        join latest l on l.suite = v.suite and l.run_id is not distinct from v.run_id
             and l.interval_start is not distinct from v.interval_start
        group by 1, 2 order by 1, 2
        """
    ).fetchall()


def print_table(title: str, rows, headers) -> None:
    print(f"\n{title}")
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    print("  " + "  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))


def dbt_test_overview(settings: Settings, run_ids: list[str]) -> list[tuple]:
    from dataflow.runtime.airflow import task_states

    rows = []
    for run_id in run_ids:
        states = task_states(settings, "production_data_pipeline", run_id)
        # "<model>.test" after each model, "<test>_test" for detached multi-parent tests.
        tests = [s for s in states if s["task_id"].endswith((".test", "_test"))]
        ok = sum(1 for s in tests if s["state"] == "success")
        rows.append((run_id, len(tests), ok, len(tests) - ok))
    return rows


def print_summary(settings: Settings, outcomes) -> None:
    """Print rows per layer, quarantine, GX and dbt results, docs and web-UI pointers."""
    import psycopg

    from dataflow.runtime.airflow import ensure_admin_password, latest_runs

    print("\n" + "=" * 72 + "\nDataFlow demo summary\n" + "=" * 72)
    print_table(
        "Pipeline runs",
        [(h, "success" if ok else "FAILED", f"{t:.0f}s") for h, ok, t in outcomes],
        ("interval", "state", "took"),
    )
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        for layer in LAYERS:
            print_table(
                f"Rows in {layer}", relation_counts(conn, layer) or [("-", 0)], ("relation", "rows")
            )
        received, loaded, quarantined = load_totals(conn)
        print(
            f"\nIngestion: {received} rows received = {loaded} loaded + {quarantined} "
            f"quarantined ({'reconciled' if received == loaded + quarantined else 'MISMATCH'})"
        )
        print_table(
            "Top quarantine reasons (audit.quarantine)",
            quarantine_reasons(conn) or [("none", 0)],
            ("reason", "rows"),
        )
        print_table(
            "Great Expectations, latest run per suite (audit.validation_results)",
            validation_overview(conn),
            ("suite", "severity", "passed", "failed", "failed expectations"),
        )
    run_ids = [r["run_id"] for r in latest_runs(settings, "production_data_pipeline")][:3]
    print_table(
        "dbt tests (Cosmos test tasks per run)",
        dbt_test_overview(settings, run_ids),
        ("run", "test tasks", "passed", "failed"),
    )
    print(f"""
Where results are
  GX Data Docs   {settings.data_docs_dir / "index.html"}
                 s3://{settings.docs_bucket}/data_docs/index.html
  dbt docs       {settings.dbt_target_dir / "index.html"}
                 s3://{settings.docs_bucket}/dbt_docs/index.html
  Warehouse      psql {settings.warehouse_url}

Web UI: run `make up`, open {settings.airflow_url} and log in as admin / \
{ensure_admin_password(settings)} — the demo's runs are listed under production_data_pipeline.
""")
