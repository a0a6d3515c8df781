"""Metrics exporter scrape time and series count, on the runtime's warehouse and with 100 tables.

    python benchmarks/bench_monitoring.py [--tables 100] [--history-hours 8760] [--repeat 30]

``run_all.py`` calls :func:`measure` after its pipeline runs (the warehouse then holds the
benchmark scale's data). Each case serves the exporter's real collectors over HTTP on a free
port and times ``GET /metrics`` (what Prometheus waits for), ``repeat`` times after one warm-up:

1. **warehouse as it is** — the tables the pipeline runs built;
2. **100 tables** — synthetic dbt models added to ``audit.dbt_node_results`` until 100 tables
   (raw + models) are monitored, and a year of hourly files per source added to
   ``audit.load_audit``, so the freshness and volume queries face a long history. Everything
   synthetic is deleted afterwards.

Reference measured in the same run: one ``select 1`` round trip on an open connection (the
floor of any query the exporter makes). The Airflow REST API source is timed too: the
benchmark runtime runs DAGs with ``airflow dags test``, so an api-server is started for this
measurement (and stopped after) when none runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

BENCH_TAG = "bench_monitoring"
GOAL_MS = 100.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def round_trip_ms(settings, repeat: int) -> float:
    import psycopg

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        conn.execute("select 1")
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            conn.execute("select 1").fetchone()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def airflow_reachable(settings) -> bool:
    try:
        with urllib.request.urlopen(f"{settings.airflow_api_url}/api/v2/monitor/health", timeout=2):
            return True
    except OSError:
        return False


def serve(settings, with_airflow: bool) -> tuple[str, object]:
    from prometheus_client import CollectorRegistry, start_http_server

    from dataflow.monitoring.collectors import PlatformCollector
    from dataflow.monitoring.exporter import metric_sources

    sources = [s for s in metric_sources(settings) if with_airflow or s.name != "airflow"]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PlatformCollector(sources))
    server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)
    return f"http://127.0.0.1:{server.server_address[1]}/metrics", server


def scrape_once(url: str) -> tuple[float, str]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as resp:
        body = resp.read().decode()
    return (time.perf_counter() - started) * 1000, body


def source_times(body: str) -> dict[str, float]:
    out = {}
    for line in body.splitlines():
        if line.startswith("dataflow_exporter_source_duration_seconds{"):
            name = line.split('source="')[1].split('"')[0]
            out[name] = float(line.rsplit(" ", 1)[1]) * 1000
    return out


def series_count(body: str) -> int:
    return sum(1 for line in body.splitlines() if line and not line.startswith("#"))


def time_case(settings, repeat: int, with_airflow: bool) -> dict:
    url, server = serve(settings, with_airflow)
    try:
        scrape_once(url)  # warm-up: connection, token, imports
        times, per_source, body = [], [], ""
        for _ in range(repeat):
            took, body = scrape_once(url)
            times.append(took)
            per_source.append(source_times(body))
    finally:
        server.shutdown()
    sources = {k: statistics.median(p[k] for p in per_source) for k in per_source[0]}
    return {
        "median_ms": statistics.median(times),
        "p95_ms": _percentile(times, 0.95),
        "series": series_count(body),
        "source_median_ms": sources,
        "tables": body.count("dataflow_table_last_success_timestamp_seconds{"),
    }


def add_synthetic_tables(conn, tables: int, history_hours: int) -> int:
    """Synthetic models up to ``tables`` monitored tables, and ``history_hours`` of loads."""
    from dataflow.contracts import BATCH_SOURCES

    existing = conn.execute(
        "select count(*) from audit.dbt_node_results where resource_type in ('model', 'snapshot') "
        "and schema_name in ('staging', 'intermediate', 'marts', 'snapshots')"
    ).fetchone()[0]
    missing = max(0, tables - len(BATCH_SOURCES) - existing)
    conn.execute(
        """
        insert into audit.dbt_node_results (unique_id, schema_name, resource_type, node_name,
            relation_name, last_status, last_run_at, last_success_at,
            last_success_data_interval_end, last_invocation_id)
        select 'model.bench.t' || g, 'marts', 'model', 'bench_table_' || g, 'marts.bench_' || g,
               'success', now(), now(), now(), %s
        from generate_series(1, %s) g
        """,
        (BENCH_TAG, missing),
    )
    conn.execute(
        """
        insert into audit.load_audit (run_id, source, source_file, interval_start, rows_received,
            rows_loaded, rows_quarantined, started_at, finished_at)
        select %s, s, 'bench/' || s || '/' || h, timestamptz '2020-01-01' + h * interval '1 hour',
               1000, 990, 10, now(), timestamptz '2020-01-01' + h * interval '1 hour'
        from unnest(%s::text[]) s, generate_series(1, %s) h
        """,
        (BENCH_TAG, list(BATCH_SOURCES), history_hours),
    )
    conn.execute("analyze audit.load_audit")
    return missing


def remove_synthetic(conn) -> None:
    conn.execute("delete from audit.dbt_node_results where last_invocation_id = %s", (BENCH_TAG,))
    conn.execute("delete from audit.load_audit where run_id = %s", (BENCH_TAG,))


def measure(settings, tables: int = 100, history_hours: int = 8760, repeat: int = 30) -> dict:
    """Both cases, with an Airflow api-server (started for the measurement when none runs)."""
    from dataflow.monitoring.services import ensure_api_server
    from dataflow.runtime import processes

    started = False
    try:
        started = ensure_api_server(settings)
    except (TimeoutError, RuntimeError) as exc:  # measured without the Airflow source then
        print(f"api-server not available, Airflow source not timed: {exc}", file=sys.stderr)
    try:
        return _measure(settings, tables, history_hours, repeat)
    finally:
        if started:
            processes.stop(settings.run_dir, "api-server")


def _measure(settings, tables: int, history_hours: int, repeat: int) -> dict:
    import psycopg

    with_airflow = airflow_reachable(settings)
    result = {
        "repeat": repeat,
        "airflow_source_timed": with_airflow,
        "select1_round_trip_ms": round_trip_ms(settings, repeat),
        "warehouse": time_case(settings, repeat, with_airflow),
    }
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        try:
            result["synthetic_models"] = add_synthetic_tables(conn, tables, history_hours)
            result["history_hours"] = history_hours
            result["hundred_tables"] = time_case(settings, repeat, with_airflow)
        finally:
            remove_synthetic(conn)
    return result


def figures(monitoring: dict | None) -> list[dict]:
    """The report's rows (bench_report.figure dicts)."""
    from bench_report import figure

    if not monitoring:
        return []
    ref = monitoring["select1_round_trip_ms"]
    rows = []
    for key, label in (("warehouse", "warehouse after the runs"), ("hundred_tables", "100 tables")):
        case = monitoring.get(key)
        if not case:
            continue
        sources = ", ".join(f"{k} {v:.1f} ms" for k, v in case["source_median_ms"].items())
        note = (
            f"{case['tables']} tables, {case['series']} series; p95 {case['p95_ms']:.1f} ms; "
            f"{sources}; {case['median_ms'] / ref:.0f}× a `select 1` round trip ({ref:.2f} ms)"
        )
        if not monitoring["airflow_source_timed"]:
            note += "; Airflow API source not timed (no api-server could be started)"
        rows.append(
            figure(
                f"Exporter scrape, {label} (median of {monitoring['repeat']})",
                case["median_ms"],
                "ms",
                f"< {GOAL_MS:.0f} ms",
                case["median_ms"] < GOAL_MS,
                note,
            )
        )
        rows.append(figure(f"  series per scrape, {label}", case["series"], "series", "—", None))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--history-hours", type=int, default=8760)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from dataflow.runtime import ensure_data_services
    from dataflow.settings import get_settings

    settings = get_settings()
    ensure_data_services(settings)
    result = measure(settings, args.tables, args.history_hours, args.repeat)
    text = json.dumps(result, indent=2)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    print(text)
    for row in figures(result):
        print(f"{row['name']}: {row['value']:.1f} {row['unit']} ({row['note']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
