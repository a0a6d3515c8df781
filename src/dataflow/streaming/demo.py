"""The streaming part of ``make demo``: a burst of events, consumed, alerted and loaded.

:func:`run_streaming_demo` starts the Airflow services (the micro-batch DAG is event-driven:
its triggerer watches the landing-events queue), runs the local consumer as its own process
(``dataflow stream consume --follow``, as the always-on event source mapping), produces a burst
with anomalies and poison records, waits until every valid event is visible in ``raw.events``,
and records what happened in ``<DATAFLOW_HOME>/run/demo/streaming.json``;
:func:`print_streaming_summary` prints it with what the queues and tables hold.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dataflow.settings import Settings
from dataflow.streaming.microbatch import DAG_ID

DEMO_EVENTS = 600
DEMO_RATE = 40.0  # records/s: a burst the local consumer keeps up with on a small machine
VISIBLE_TIMEOUT_SECONDS = 600


@dataclass
class StreamingDemoResult:
    produced: dict = field(default_factory=dict)
    event_ids: list[str] = field(default_factory=list)
    latencies_seconds: list[float] = field(default_factory=list)
    visible: int = 0
    seconds: float = 0.0
    error: str | None = None


def result_path(settings: Settings) -> Path:
    return settings.run_dir / "demo" / "streaming.json"


def run_streaming_demo(settings: Settings, events: int = DEMO_EVENTS) -> StreamingDemoResult:
    """Produce → consume → micro-batch → ``raw.events``; returns (and saves) what happened."""
    from dataflow.runtime.airflow import start_airflow, stop_airflow

    print(f"    {events} events → Kinesis → consumer → lake → raw.events", flush=True)
    started_services = start_airflow(settings)
    started = time.monotonic()
    result = StreamingDemoResult()
    consumer = None
    try:
        unpause_microbatch(settings)
        consumer = start_consumer(settings)
        result = produce_and_wait(settings, events)
        if result.visible < len(result.event_ids):
            missing = len(result.event_ids) - result.visible
            result.error = f"{missing} events not in raw.events after {VISIBLE_TIMEOUT_SECONDS} s"
    except Exception as exc:  # noqa: BLE001 - the demo reports it in the summary
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        if consumer is not None:
            stop_consumer(consumer)
        if started_services:
            stop_airflow(settings)
    result.seconds = time.monotonic() - started
    save_result(settings, result)
    return result


def unpause_microbatch(settings: Settings, timeout: float = 300) -> None:
    """Unpause ``events_microbatch`` once the dag-processor has parsed it."""
    from dataflow.runtime.airflow import AirflowCommandError, run_airflow

    deadline = time.monotonic() + timeout
    while True:
        try:
            run_airflow(settings, "dags", "unpause", DAG_ID)
            return
        except AirflowCommandError:
            if time.monotonic() > deadline:
                raise
            time.sleep(5)


def pause_microbatch(settings: Settings) -> None:
    """Pause ``events_microbatch`` again: later event files wait for the hourly run."""
    from dataflow.runtime.airflow import run_airflow

    run_airflow(settings, "dags", "pause", DAG_ID)


def start_consumer(settings: Settings) -> subprocess.Popen:
    """``dataflow stream consume --follow`` as its own process (log in the run folder)."""
    import sys

    from dataflow.runtime.airflow import airflow_subprocess_env

    log = settings.run_dir / "demo" / "stream-consume.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        str(Path(sys.executable).with_name("dataflow")),
        "stream",
        "consume",
        "--follow",
        "--no-progress",
    ]
    with open(log, "w") as out:
        return subprocess.Popen(
            argv, env=airflow_subprocess_env(settings), stdout=out, stderr=subprocess.STDOUT
        )


def stop_consumer(consumer: subprocess.Popen) -> None:
    consumer.send_signal(signal.SIGTERM)  # finishes its invocation, releases the leases
    try:
        consumer.wait(timeout=60)
    except subprocess.TimeoutExpired:
        consumer.kill()


def produce_and_wait(settings: Settings, events: int) -> StreamingDemoResult:
    from dataflow.streaming.producer import produce

    report = produce(
        settings,
        events,
        rate=DEMO_RATE,
        seed=int(time.time()),
        anomaly_rate=0.02,
        poison_rate=0.02,
        progress=True,
    )
    event_ids = [json.loads(r.data)["event_id"] for r in report.records if not r.is_poison]
    latencies = wait_until_visible(settings, event_ids)
    return StreamingDemoResult(report.to_dict(), event_ids, latencies, len(latencies))


def wait_until_visible(settings: Settings, event_ids: list[str], poll: float = 1.0):
    """Seconds from each event's arrival on its stream until it is visible in ``raw.events``."""
    import psycopg

    pending, latencies = set(event_ids), []
    deadline = time.monotonic() + VISIBLE_TIMEOUT_SECONDS
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        while pending and time.monotonic() < deadline:
            rows = conn.execute(
                "select event_id::text, extract(epoch from clock_timestamp() - "
                "(payload->'_stream'->>'arrived_at')::timestamptz) from raw.events "
                "where event_id = any(%s::uuid[])",
                (list(pending),),
            ).fetchall()
            for event_id, seconds in rows:
                if event_id in pending:
                    pending.discard(event_id)
                    latencies.append(float(seconds))
            if pending:
                time.sleep(poll)
    return latencies


def save_result(settings: Settings, result: StreamingDemoResult) -> None:
    path = result_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(result)))


def percentile(values: list[float], q: float, missing: int = 0) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); ``missing`` values count as larger than all.

    None when there are no values, or when the percentile falls among the missing ones (an
    event never seen is slower than any measured one, not absent from the statistic).
    """
    if not values and not missing:
        return None
    ordered = sorted(values) + [float("inf")] * missing
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    value = ordered[rank]
    return None if value == float("inf") else value


# --- the summary section --------------------------------------------------------------------
def print_streaming_summary(settings: Settings) -> None:
    """The streaming section of the demo summary (nothing when the step did not run)."""
    from dataflow.summary import print_table

    path = result_path(settings)
    if not path.exists():
        return
    result = StreamingDemoResult(**json.loads(path.read_text()))
    print("\nStreaming (Kinesis → consumer → DynamoDB / SNS / dead letters / lake → raw.events)")
    if result.error:
        print(f"  FAILED: {result.error}")
    produced = result.produced.get("streams", {})
    print_table(
        "Records put (dataflow stream produce)",
        [(s, v["records"], v["anomalies"], v["poison"]) for s, v in produced.items()],
        ("stream", "records", "anomalies", "poison"),
    )
    print_table(
        "Consumer checkpoints (checkpoint table)",
        checkpoint_rows(settings),
        ("shard", "records processed", "failed invocations", "discarded batches"),
    )
    alerts = drain(settings, settings.stream.alerts_readback_queue)
    print_table(
        f"Anomalies alerted: {len(alerts)} (read back from the alerts topic's SQS subscription)",
        [(a["customer_id"], a["transaction_amount"], a["event_id"]) for a in alerts[:5]]
        or [("-", "-", "-")],
        ("customer", "amount", "event"),
    )
    dead = drain(settings, settings.stream.dead_letter_queue)
    print_table(
        f"Dead-lettered records: {len(dead)}",
        dead_letter_reasons(dead) or [("-", 0)],
        ("reason", "records"),
    )
    print_table(
        "Real-time metrics, top customers (DynamoDB real_time_customer_metrics)",
        top_customers(settings),
        (
            "customer",
            "transactions",
            "total",
            "high value",
            "anomalies",
            "last event",
            "last login",
        ),
    )
    files, rows, reconciled = landed_files(settings)
    print(
        f"\n  Event files from the consumer: {files}; rows in raw.events from them: {rows} "
        f"(events expected {len(result.event_ids)}, audit {reconciled})"
    )
    p50, p95 = percentile(result.latencies_seconds, 50), percentile(result.latencies_seconds, 95)
    if p50 is not None:
        print(
            f"  Event → raw.events latency: p50 {p50:.0f} s, p95 {p95:.0f} s over "
            f"{result.visible} events (goal p95 < 300 s: {'met' if p95 < 300 else 'NOT met'})"
        )
    if result.visible < len(result.event_ids):
        print(
            f"  NOT visible within {VISIBLE_TIMEOUT_SECONDS} s: "
            f"{len(result.event_ids) - result.visible} events"
        )


def drain(settings: Settings, queue: str) -> list[dict]:
    """Read (and delete) every message of ``queue``: the demo's read-back."""
    from dataflow.aws import aws_client

    sqs = aws_client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def dead_letter_reasons(dead: list[dict]) -> list[tuple[str, int]]:
    from collections import Counter

    kinds = Counter(d["reason"].split(":", 1)[0] for d in dead)
    return kinds.most_common()


def checkpoint_rows(settings: Settings) -> list[tuple]:
    from dataflow.streaming.checkpoints import read_checkpoints

    return [
        (
            c["lease_key"],
            int(c.get("records_processed_total", 0)),
            int(c.get("failed_invocations_total", 0)),
            int(c.get("batches_discarded_total", 0)),
        )
        for c in read_checkpoints(settings)
    ] or [("-", 0, 0, 0)]


def top_customers(settings: Settings, limit: int = 5) -> list[tuple]:
    from dataflow.aws import aws_client

    dynamodb = aws_client(settings, "dynamodb")
    items = [
        item
        for page in dynamodb.get_paginator("scan").paginate(TableName=settings.stream.metrics_table)
        for item in page["Items"]
    ]
    items.sort(key=lambda i: float(i["total_amount"]["N"]), reverse=True)
    return [
        (
            i["customer_id"]["N"],
            i["transactions"]["N"],
            i["total_amount"]["N"],
            i["high_value_transactions"]["N"],
            i["anomalies"]["N"],
            i["last_event_at"]["S"][:19],
            i.get("last_login_at", {}).get("S", "-")[:19],
        )
        for i in items[:limit]
    ] or [("-",) * 7]


def landed_files(settings: Settings) -> tuple[int, int, str]:
    """Consumer lake files, their rows in ``raw.events`` and whether their audit reconciles."""
    import psycopg

    pattern = "landing/events/%-shardId-%"
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        rows = conn.execute(
            "select count(*) from raw.events where _source_file like %s", (pattern,)
        ).fetchone()[0]
        files, received, loaded, quarantined = conn.execute(
            "select count(distinct source_file), coalesce(sum(rows_received), 0), "
            "coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0) "
            "from audit.load_audit where source = 'events' and source_file like %s",
            (pattern,),
        ).fetchone()
    state = "reconciled" if received == loaded + quarantined else "MISMATCH"
    return (
        files,
        rows,
        f"{received} received = {loaded} loaded + {quarantined} quarantined, {state}",
    )
