"""The customer_features job on the benchmark marts: start-up, read, compute, write, publish.

Runs what ``trigger_glue_etl`` runs in local mode (``spark-submit`` of
``aws/glue_scripts/customer_features.py``, then the upload of its parquet to the lake bucket)
and ``register_lake_partitions``, each phase timed by the job itself; the whole is timed from
outside. Reference measured in the same run: Postgres computing the same per-customer
aggregates (counts, revenue, stddev, dates, quarters, category diversity) in one SQL query over
the same marts.

    python benchmarks/bench_glue.py [--json-out PATH]   # on the marts already built

``run_all.py`` calls :func:`run_glue` after the pipeline benchmark (marts of the full run).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench_machine import load_average, wait_until_quiet

REFERENCE_SQL = """
select c.customer_id, count(f.customer_id), coalesce(sum(f.transaction_amount), 0),
       stddev_samp(f.transaction_amount), min(f.transaction_date), max(f.transaction_date),
       sum(f.transaction_amount) filter (where extract(quarter from f.transaction_date) = 1),
       sum(f.transaction_amount) filter (where extract(quarter from f.transaction_date) = 2),
       sum(f.transaction_amount) filter (where extract(quarter from f.transaction_date) = 3),
       sum(f.transaction_amount) filter (where extract(quarter from f.transaction_date) = 4),
       count(distinct p.product_category)
from marts.customer_360 c
left join marts.fct_transactions f
       on f.customer_id = c.customer_id and f.is_completed and f.transaction_at < %(as_of)s
left join marts.dim_products p on p.product_id = f.product_id
group by c.customer_id
"""


def marts_as_of(settings):
    """The ``as_of`` customer_360 was built for (the job must run for the same instant)."""
    import psycopg

    with psycopg.connect(settings.warehouse_url) as conn:
        return conn.execute("select max(as_of) from marts.customer_360").fetchone()[0]


def reference_sql_seconds(settings, as_of) -> tuple[float, int]:
    """Seconds for Postgres to compute (and send) the same aggregates; the rows."""
    import psycopg

    with psycopg.connect(settings.warehouse_url) as conn:
        started = time.perf_counter()
        rows = conn.execute(REFERENCE_SQL, {"as_of": as_of}).fetchall()
        return round(time.perf_counter() - started, 3), len(rows)


def run_glue(settings) -> dict:
    """One timed features run (+ catalog registration) and the SQL reference."""
    from dataflow.features.runner import register_lake_partitions, run_features_locally

    as_of = marts_as_of(settings)
    if as_of is None:
        raise RuntimeError("marts.customer_360 is empty: run the pipeline benchmark first")
    quiet = wait_until_quiet("features job")
    started = time.perf_counter()
    result = run_features_locally(settings, as_of)
    registered_at = time.perf_counter()
    registration = register_lake_partitions(settings, result)
    finished = time.perf_counter()
    reference_s, reference_rows = reference_sql_seconds(settings, as_of)
    return {
        "as_of": as_of.isoformat(),
        "rows": result["rows"],
        "files": result["files"],
        "partitions": registration["partitions"],
        "seconds": {**result["seconds"], "register": round(finished - registered_at, 3)},
        "total_s": round(finished - started, 2),
        "reference_sql_s": reference_s,
        "reference_rows": reference_rows,
        "spark": {
            "driver_memory": settings.spark_driver_memory,
            "shuffle_partitions": settings.spark_shuffle_partitions,
            "jdbc_partitions": settings.spark_jdbc_partitions,
        },
        **quiet,
        "load_after": load_average(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    from dataflow.runtime import ensure_data_services
    from dataflow.runtime.env import apply_service_env
    from dataflow.settings import get_settings

    settings = get_settings()
    apply_service_env(settings)
    ensure_data_services(settings)
    report = run_glue(settings)
    print(json.dumps(report, indent=2, default=str))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
