"""``make bench``: every DataFlow benchmark in one run, as ratios against in-run references.

    python benchmarks/run_all.py [--scale small|demo|bench] [--skip-full] [--skip-loader] ...

Measures, on the same machine and data:

1. the loader vs a raw ``COPY FROM STDIN`` of the same file and vs pandas ``to_sql``
   (``bench_loader.py``);
2. a full ``production_data_pipeline`` run of the backfill hour, executed by the scheduler
   (runs created through the REST API, ``bench_pipeline.py``): wall time per stage and
   sustained rows/s (data generation is timed separately);
3. a plain ``dbt build`` of the same interval from the same empty dbt schemas, against the
   Cosmos ``transformations`` group;
4. the next hourly increments against the full run, a rerun of an older increment,
   and the marts against ``dbt build --full-refresh`` of the same raw data;
5. a second data set with twice the history: its increment against the first one's;
6. DAG parse time per file in ``airflow/dags/``;
7. the streaming path: handler and consumer records/s, event → ``raw.events`` latency
   (``bench_streaming.py``);
8. the customer_features Spark job on the full run's marts, per phase (``bench_glue.py``).

The benchmark EMPTIES the warehouse, the landing bucket and Airflow's metadata database of its
runtime (an interrupted run's DAG runs would otherwise resume beside the timed phases). Unless
``DATAFLOW_HOME`` is set, it uses its own runtime in ``.dataflow/bench`` on its own ports,
so a developer's ``.dataflow`` is never touched. Results: a table on stdout,
``benchmarks/results/latest.json`` and (for ``--scale bench``) ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# A private runtime unless the caller chose one (ports differ from the defaults of `make up`).
BENCH_RUNTIME_DEFAULTS = {
    "DATAFLOW_HOME": str(ROOT / ".dataflow" / "bench"),
    "DATAFLOW_PG_PORT": "54349",
    "DATAFLOW_MOTO_PORT": "5059",
    "DATAFLOW_AIRFLOW_PORT": "8099",
}
LOADER_ROWS = {"small": 100_000, "demo": 300_000, "bench": 1_000_000}
LOADER_REPEAT = {"small": 3, "demo": 3, "bench": 2}
DOCS_PREAMBLE = (ROOT / "benchmarks" / "docs_preamble.md").read_text(encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "demo", "bench"), default="bench")
    parser.add_argument("--skip-loader", action="store_true", help="no loader benchmark")
    parser.add_argument("--skip-full", action="store_true", help="no DAG runs at all")
    parser.add_argument("--skip-incremental", action="store_true", help="no hourly run")
    parser.add_argument("--skip-dbt", action="store_true", help="no plain dbt build")
    parser.add_argument(
        "--skip-history-2x", action="store_true", help="no second data set at 2x history"
    )
    parser.add_argument("--skip-parse", action="store_true", help="no DAG parse timing")
    parser.add_argument("--skip-glue", action="store_true", help="no customer_features job")
    parser.add_argument(
        "--skip-monitoring", action="store_true", help="no metrics exporter scrape timing"
    )
    parser.add_argument("--loader-rows", type=int, help="rows of the loader benchmark")
    parser.add_argument("--parse-repeat", type=int, default=3)
    parser.add_argument("--skip-streaming", action="store_true", help="no streaming benchmark")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: rebuild the table and Markdown from --json-out",
    )
    parser.add_argument(
        "--no-wait", action="store_true", help="do not wait for test suites (development)"
    )
    parser.add_argument("--json-out", type=Path, default=BENCH_DIR / "results" / "latest.json")
    parser.add_argument(
        "--docs-out",
        type=Path,
        help="Markdown report (default: docs/benchmarks.md for --scale bench, "
        "benchmarks/results/benchmarks-<scale>.md otherwise)",
    )
    return parser.parse_args(argv)


def run_loader(args: argparse.Namespace, work: Path) -> dict:
    """``bench_loader.py`` in a child process; its JSON report."""
    from bench_machine import load_average, wait_until_quiet

    quiet = wait_until_quiet("loader")
    out = work / "loader.json"
    rows = args.loader_rows or LOADER_ROWS[args.scale]
    command = [sys.executable, str(BENCH_DIR / "bench_loader.py"), "--rows", str(rows)]
    command += ["--repeat", str(LOADER_REPEAT[args.scale]), "--json-out", str(out)]
    subprocess.run(command, check=True)
    return {**json.loads(out.read_text()), **quiet, "load_after": load_average()}


STREAMING_RECORDS = {"small": 300, "demo": 1000, "bench": 2000}


def run_streaming(args: argparse.Namespace, work: Path) -> dict:
    """``bench_streaming.py`` in a child process; its JSON report."""
    from bench_machine import wait_until_quiet

    quiet = wait_until_quiet("streaming")
    out = work / "streaming.json"
    records = str(STREAMING_RECORDS[args.scale])
    command = [
        sys.executable,
        str(BENCH_DIR / "bench_streaming.py"),
        "--json-out",
        str(out),
        "--handler-records",
        records,
        "--consumer-records",
        records,
    ]
    subprocess.run(command, check=True)
    return {**json.loads(out.read_text()), **quiet}


def run_parse(settings, args: argparse.Namespace) -> list[dict]:
    from bench_machine import wait_until_quiet
    from bench_parse import parse_all

    from dataflow.runtime.airflow import airflow_subprocess_env

    wait_until_quiet("DAG parse")
    return parse_all(ROOT / "airflow" / "dags", airflow_subprocess_env(settings), args.parse_repeat)


def run_monitoring(settings) -> dict:
    from bench_machine import wait_until_quiet
    from bench_monitoring import measure

    return {**wait_until_quiet("exporter scrape"), **measure(settings)}


def run_benchmarks(settings, args: argparse.Namespace) -> dict:
    """Every selected benchmark; the raw results."""
    from bench_pipeline import prepare

    from dataflow.runtime.airflow import stop_airflow

    started = prepare(settings)  # the Airflow services run the DAG, as in production
    try:
        return run_selected(settings, args)
    finally:
        if started:
            stop_airflow(settings)


def with_run_facts(settings, result: dict, args: argparse.Namespace, **extra) -> dict:
    """``result`` with the machine and the run's metadata (load after, seconds so far)."""
    from bench_machine import describe_machine, load_average

    meta = {**args.meta, "load_after": load_average(), **extra}
    meta["total_s"] = time.perf_counter() - args.started
    return {**result, "machine": describe_machine(settings), "meta": meta}


def checkpoint(settings, result: dict, args: argparse.Namespace) -> None:
    """The figures measured so far, so an interrupted run keeps them.

    ``--render-only --json-out <...>.partial.json`` turns them into the table and Markdown.
    """
    partial = args.json_out.with_suffix(".partial.json")
    partial.parent.mkdir(parents=True, exist_ok=True)
    snapshot = with_run_facts(settings, result, args, partial=True)
    partial.write_text(json.dumps(snapshot, indent=2, default=str) + "\n")


def run_selected(settings, args: argparse.Namespace) -> dict:
    """The phases, cheapest and most depended-on first; the twice-as-long history runs last."""
    from bench_pipeline import run_double_history, run_pipeline

    from dataflow.generate import GenerationConfig

    result: dict = {}
    if not args.skip_loader:
        print("==> loader benchmark", flush=True)
        result["loader"] = run_loader(args, settings.home / "bench")
        checkpoint(settings, result, args)
    config = GenerationConfig.for_scale(args.scale, increment_hours=2)
    if not args.skip_full:
        result["pipeline"] = run_pipeline(settings, config, args.skip_incremental, args.skip_dbt)
        checkpoint(settings, result, args)
    if not args.skip_glue and ((result.get("pipeline") or {}).get("full") or {}).get("success"):
        print("==> customer_features job (local Spark) on the marts", flush=True)
        from bench_glue import run_glue

        result["glue"] = run_glue(settings)
        checkpoint(settings, result, args)
    if not args.skip_streaming:
        print("==> streaming benchmark", flush=True)
        result["streaming"] = run_streaming(args, settings.home / "bench")
        checkpoint(settings, result, args)
    if not args.skip_monitoring:
        print("==> metrics exporter scrape timing", flush=True)
        result["monitoring"] = run_monitoring(settings)
        checkpoint(settings, result, args)
    if not args.skip_parse:
        print("==> DAG parse timing", flush=True)
        try:
            result["parse"] = run_parse(settings, args)
        except RuntimeError as exc:  # keep the figures measured so far
            result["parse_error"] = str(exc)
            print(f"DAG parse timing failed: {exc}", file=sys.stderr)
        checkpoint(settings, result, args)
    if not (args.skip_full or args.skip_incremental or args.skip_history_2x):
        result["history_2x"] = run_double_history(settings, config)
        checkpoint(settings, result, args)
    return result


def docs_path(args: argparse.Namespace) -> Path:
    if args.docs_out:
        return args.docs_out
    if args.scale == "bench":
        return ROOT / "docs" / "benchmarks.md"
    return BENCH_DIR / "results" / f"benchmarks-{args.scale}.md"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name, value in BENCH_RUNTIME_DEFAULTS.items():
        os.environ.setdefault(name, value)
    sys.path.insert(0, str(BENCH_DIR))
    import bench_machine

    if args.no_wait:
        bench_machine.QUIET_MAX_WAIT_SECONDS = 0
    from bench_machine import load_average
    from bench_report import all_figures, markdown_block, print_table, write_markdown

    from dataflow.settings import get_settings

    if args.render_only:
        result = json.loads(args.json_out.read_text())
        return report(result, args, all_figures, markdown_block, print_table, write_markdown)
    settings = get_settings()
    args.started = time.perf_counter()
    args.meta = {
        "scale": args.scale,
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python benchmarks/run_all.py " + " ".join(argv or sys.argv[1:]),
        "load_before": load_average(),
    }
    result = with_run_facts(settings, run_benchmarks(settings, args), args)
    return report(result, args, all_figures, markdown_block, print_table, write_markdown)


def report(result, args, all_figures, markdown_block, print_table, write_markdown) -> int:
    """Print the table, write the JSON and the Markdown; the exit code."""
    figures = all_figures(result)
    result["figures"] = figures
    print_table(figures)
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    write_markdown(docs_path(args), markdown_block(result, figures), DOCS_PREAMBLE)
    print(f"\nresults: {args.json_out}, {docs_path(args)}")
    # Goals not met are findings, not errors; a failed DAG run is an error.
    pipeline, doubled = result.get("pipeline") or {}, result.get("history_2x") or {}
    runs = [pipeline.get(k) for k in ("full", "incremental", "rerun")]
    runs += [doubled.get(k) for k in ("full", "incremental")]
    return 1 if any(run and not run["success"] for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
