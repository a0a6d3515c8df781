"""Plain ``dbt build``: the hourly increment against the full build, at 1× and 2× history.

    python benchmarks/bench_dbt_incremental.py --transactions 500000 [--json-out PATH]

For each history size (N and 2N backfill transactions, the same customers, products and the
same number of new transactions per hour): empty the runtime, generate the backfill hour and
one increment, load both with the real loader, then time ``dbt build`` of the backfill
interval (a full build: no dbt relation exists) and of the increment. Reports the walls, the
ratios (increment ÷ full; increment at 2N ÷ increment at N), per-node seconds from
``run_results.json`` and dbt's parse time, and finally checks the marts against a
``dbt build --full-refresh`` (:func:`dataflow.transform.compare_marts_with_full_refresh`).

Uses the benchmark runtime (``.dataflow/bench``, ports 54412/5112 unless ``DATAFLOW_*`` are
set) and EMPTIES its warehouse and landing bucket (``bench_pipeline.reset_runtime``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RUNTIME_DEFAULTS = {
    "DATAFLOW_HOME": str(ROOT / ".dataflow" / "bench"),
    "DATAFLOW_PG_PORT": "54412",
    "DATAFLOW_MOTO_PORT": "5112",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=500_000, help="N (1× history)")
    parser.add_argument("--increment", type=int, help="new transactions per hour (N / 100)")
    parser.add_argument("--skip-2x", action="store_true", help="only the 1× history")
    parser.add_argument("--skip-compare", action="store_true", help="no full-refresh check")
    parser.add_argument("--json-out", type=Path, default=BENCH_DIR / "results" / "dbt.json")
    return parser.parse_args(argv)


def generation_config(transactions: int, increment: int, base: int):
    """N backfill transactions, customers/products fixed by ``base`` (the 1× N)."""
    from dataflow.generate import GenerationConfig

    return GenerationConfig(
        customers=max(1_000, base // 20),
        products=max(100, base // 1_000),
        transactions=transactions,
        increment_hours=1,
        increment_fraction=increment / transactions,
    )


def load_hour(settings, hour) -> float:
    from dataflow.ingest import load_interval

    started = time.perf_counter()
    for source in ("customers", "products", "transactions", "events"):
        load_interval(settings, source, hour, hour + timedelta(hours=1))
    return round(time.perf_counter() - started, 2)


def timed_build(settings, hour) -> dict:
    """``dbt build`` of the interval: wall, dbt's own elapsed time, the slowest nodes."""
    from dataflow.transform import dbt_vars, run_dbt

    variables = json.dumps(dbt_vars(hour, hour + timedelta(hours=1)))
    load_before = os.getloadavg()
    started = time.perf_counter()
    result = run_dbt(settings, ["build", "--vars", variables])
    wall = time.perf_counter() - started
    results = sorted(result.result.results, key=lambda r: -r.execution_time)
    by_type: dict[str, float] = {}
    for node in results:
        kind = node.node.resource_type
        by_type[str(kind)] = by_type.get(str(kind), 0) + node.execution_time
    return {
        "wall_s": round(wall, 2),
        "dbt_elapsed_s": round(result.result.elapsed_time, 2),
        "nodes_s_by_type": {k: round(v, 2) for k, v in by_type.items()},
        "slowest_nodes": [(r.node.name, round(r.execution_time, 2)) for r in results[:12]],
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def measure_history(settings, transactions: int, increment: int, base: int) -> dict:
    """Full build of the backfill, then the increment, for one history size."""
    from bench_pipeline import reset_runtime

    from dataflow.generate import generate_landing_data

    print(f"==> {transactions:,} backfill transactions, {increment:,} per hour", flush=True)
    reset_runtime(settings)
    config = generation_config(transactions, increment, base)
    manifest = generate_landing_data(settings, config, progress=False)
    full_hour, next_hour = manifest.hours[0], manifest.hours[1]
    result = {"transactions": transactions, "increment": increment}
    result["load_full_s"] = load_hour(settings, full_hour)
    result["full"] = timed_build(settings, full_hour)
    print(f"    full build {result['full']['wall_s']} s", flush=True)
    result["load_increment_s"] = load_hour(settings, next_hour)
    result["increment"] = timed_build(settings, next_hour)
    print(f"    increment {result['increment']['wall_s']} s", flush=True)
    result["increment_vars"] = {"hour": next_hour.isoformat()}
    result["_next_hour"] = next_hour
    return result


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 3)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name, value in RUNTIME_DEFAULTS.items():
        os.environ.setdefault(name, value)
    sys.path.insert(0, str(BENCH_DIR))
    from dataflow.runtime import ensure_data_services
    from dataflow.runtime.env import apply_service_env
    from dataflow.settings import get_settings
    from dataflow.transform import compare_marts_with_full_refresh, dbt_vars

    settings = get_settings()
    apply_service_env(settings)
    ensure_data_services(settings)
    increment = args.increment or args.transactions // 100
    sizes = [args.transactions] if args.skip_2x else [args.transactions, 2 * args.transactions]
    runs = [measure_history(settings, n, increment, args.transactions) for n in sizes]
    report = {"runs": runs}
    report["increment_over_full"] = ratio(runs[0]["increment"]["wall_s"], runs[0]["full"]["wall_s"])
    if len(runs) > 1:
        report["increment_2x_over_1x"] = ratio(
            runs[1]["increment"]["wall_s"], runs[0]["increment"]["wall_s"]
        )
    if not args.skip_compare:
        hour = runs[-1]["_next_hour"]
        report["full_refresh_differences"] = compare_marts_with_full_refresh(
            settings, dbt_vars(hour, hour + timedelta(hours=1))
        )
    for run in runs:
        run.pop("_next_hour")
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "runs"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
