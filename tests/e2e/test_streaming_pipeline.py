"""Events end to end: Kinesis → consumer → lake → (S3 notification, AssetWatcher) → raw.events.

Real Airflow services (api-server, scheduler, dag-processor, triggerer) run the event-driven
``events_microbatch`` DAG from the SQS notifications of the lake files the consumer writes. The
hourly DAG's own ``load_events`` task then passes over the same hour (real task execution):
no event may be loaded twice.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.streaming_support import expected_outcome, lake_keys, reset_streaming_state

pytestmark = pytest.mark.e2e
LAKE_FILES = "landing/events/%-shardId-%"
VISIBLE_TIMEOUT = 420


def forget_earlier_stream_rows(conn) -> None:
    conn.execute("delete from raw.events where _source_file like %s", (LAKE_FILES,))
    for table in ("load_audit", "quarantine"):
        conn.execute(f"delete from audit.{table} where source_file like %s", (LAKE_FILES,))


@pytest.fixture(scope="module")
def airflow_services(settings, dbt_manifest):
    from dataflow.runtime.airflow import start_airflow, stop_airflow
    from dataflow.streaming.demo import pause_microbatch, unpause_microbatch

    started = start_airflow(settings)
    unpause_microbatch(settings)
    yield
    # Paused again: later tests write and delete lake files of their own, and Airflow may
    # stay up after this module (started by an earlier one).
    pause_microbatch(settings)
    if started:
        stop_airflow(settings)


@pytest.fixture(scope="module")
def started_at():
    """When this module began streaming: earlier sessions' runs are not its runs."""
    from datetime import UTC, datetime

    return datetime.now(UTC)


@pytest.fixture(scope="module")
def streamed(settings, airflow_services, started_at):
    """Produce and consume a burst; wait until the micro-batch made every event visible."""
    import psycopg

    from dataflow.streaming.local import local_mapping
    from dataflow.streaming.producer import produce

    reset_streaming_state(settings)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        forget_earlier_stream_rows(conn)
    produced = produce(settings, 120, seed=21, anomaly_rate=0.05, poison_rate=0.05)
    local_mapping(settings).run(max_seconds=300)
    expected = expected_outcome(produced.records)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        deadline = time.monotonic() + VISIBLE_TIMEOUT
        while time.monotonic() < deadline:
            visible = conn.execute(
                "select count(distinct event_id) from raw.events where _source_file like %s",
                (LAKE_FILES,),
            ).fetchone()[0]
            if visible >= len(expected.event_ids):
                break
            time.sleep(2)
    wait_for_microbatch_runs(settings)
    return produced, expected


def wait_for_microbatch_runs(settings, timeout: float = 300) -> list[dict]:
    """Until no events_microbatch run is queued or running; the runs."""
    from dataflow.runtime.airflow import latest_runs

    deadline = time.monotonic() + timeout
    while True:
        runs = latest_runs(settings, "events_microbatch")
        if (
            all(r["state"] not in ("queued", "running") for r in runs)
            or time.monotonic() > deadline
        ):
            return runs
        time.sleep(3)


def event_counts(warehouse, table: str) -> Counter:
    rows = warehouse.execute(
        f"select event_id::text from {table} where _source_file like %s", (LAKE_FILES,)
    ).fetchall()
    return Counter(r[0] for r in rows)


def test_every_streamed_event_reaches_raw_events_exactly_once(streamed, warehouse):
    _, expected = streamed

    assert event_counts(warehouse, "raw.events") == Counter(expected.event_ids)


def test_the_events_models_hold_them(streamed, warehouse):
    _, expected = streamed

    assert set(event_counts(warehouse, "staging.stg_raw__events")) == expected.event_ids


def test_micro_batch_runs_succeeded_and_the_audit_reconciles_per_file(
    settings, streamed, warehouse, started_at
):
    from datetime import datetime

    runs = [
        r
        for r in wait_for_microbatch_runs(settings)
        if datetime.fromisoformat(r["run_after"]) >= started_at
    ]
    audit = warehouse.execute(
        "select source_file, rows_received, rows_loaded, rows_quarantined from audit.load_audit "
        "where source_file like %s",
        (LAKE_FILES,),
    ).fetchall()

    assert runs and all(r["state"] == "success" for r in runs), runs
    assert sorted(a[0] for a in audit) == sorted(lake_keys(settings))
    assert all(
        received == loaded and quarantined == 0 for _, received, loaded, quarantined in audit
    )


def test_the_events_suite_ran_on_what_the_micro_batch_loaded(streamed, warehouse):
    suites = warehouse.execute(
        "select count(*) from audit.validation_results where suite = 'events' "
        "and run_id like 'asset_triggered%%' and severity = 'critical' and not success"
    ).fetchone()[0]
    validated = warehouse.execute(
        "select count(*) from audit.validation_results where suite = 'events' "
        "and run_id like 'asset_triggered%%'"
    ).fetchone()[0]

    assert validated > 0 and suites == 0


def test_the_hourly_run_passing_over_the_same_hour_loads_nothing_twice(
    settings, streamed, warehouse
):
    from dataflow.runtime.airflow import run_airflow

    _, expected = streamed
    hours = sorted({k.split("/")[2] + "T" + k.split("/")[3] for k in lake_keys(settings)})
    for hour in hours:
        start = datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC)
        run_airflow(
            settings,
            "tasks",
            "test",
            "production_data_pipeline",
            "data_ingestion.load_events",
            (start + timedelta(hours=1)).isoformat(),
        )

    assert event_counts(warehouse, "raw.events") == Counter(expected.event_ids)
    files = warehouse.execute(
        "select source_file, count(*) from audit.load_audit where source_file like %s "
        "group by 1 having count(*) > 1",
        (LAKE_FILES,),
    ).fetchall()
    assert files == []  # one audit row per file: the reload replaced the micro-batch's


def test_real_time_state_matches_the_producers_report(settings, streamed):
    from tests.streaming_support import metric_as_expected, metrics_items, queue_messages

    produced, expected = streamed
    metrics = {c: metric_as_expected(i) for c, i in metrics_items(settings).items()}
    alerts = queue_messages(settings, settings.stream.alerts_readback_queue)
    dead = queue_messages(settings, settings.stream.dead_letter_queue)

    assert metrics == expected.metrics
    assert sorted(a["event_id"] for a in alerts) == sorted(expected.alerted_event_ids)
    assert len(dead) == sum(v["poison"] for v in produced.per_stream().values())
