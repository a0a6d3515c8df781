"""Benchmark the streaming path: handler, consumer end to end, event → ``raw.events`` latency.

    python benchmarks/bench_streaming.py [--handler-records 1000] [--consumer-records 1000]
        [--latency-records 300] [--skip-latency] [--json-out out.json]

Measured on the runtime of the current environment (moto server, local Postgres, Airflow):

(a) handler records/s: ``lambda_handler`` invoked in-process on Lambda-shaped batches of 100
    fresh records, Powertools idempotency on (DynamoDB on the moto server). In-run reference:
    the moto server's DynamoDB ``PutItem`` calls/s from one client (the handler needs ~3
    DynamoDB calls per record), and a shard's write limit (1,000 records/s; goal ≥ 5×);
(b) consumer records/s: records put with ``PutRecords``, then ``consume --drain`` in-process
    (GetRecords → handler → DynamoDB/S3/SNS → checkpoints);
(c) latency: the consumer runs as its own process (``--follow``), events are put at a steady
    rate, Airflow's triggerer/scheduler run ``events_microbatch`` from the S3 notifications;
    for each event, seconds from its arrival on the stream until it is visible in
    ``raw.events`` (polled each second). Goal: p95 < 300 s.

Empties the streaming state (streams, tables, queues, consumer lake files) first.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.streaming_support: the same clean-slate helper as tests

SHARD_WRITE_LIMIT = 1000  # records/s per shard (Kinesis quota)
HANDLER_GOAL = 5 * SHARD_WRITE_LIMIT
LATENCY_GOAL_S = 300
LATENCY_RATE = 20.0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handler-records", type=int, default=1000)
    parser.add_argument("--consumer-records", type=int, default=1000)
    parser.add_argument("--latency-records", type=int, default=300)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--json-out", type=Path)
    return parser.parse_args(argv)


def bench_dynamodb_calls(settings, calls: int = 300) -> float:
    """PutItem calls/s on the moto server from one client: the floor under the handler."""
    import uuid

    from dataflow.aws import aws_client

    dynamodb = aws_client(settings, "dynamodb")
    table = settings.stream.idempotency_table
    started = time.perf_counter()
    for _ in range(calls):
        dynamodb.put_item(
            TableName=table,
            Item={"id": {"S": f"bench#{uuid.uuid4()}"}},
            ConditionExpression="attribute_not_exists(id)",
        )
    return calls / (time.perf_counter() - started)


def handler_batches(settings, records: int) -> list[dict]:
    """Lambda Kinesis events of 100 records each, from the producer's records (no Kinesis)."""
    import base64

    from dataflow.streaming.producer import build_records

    built = build_records(
        settings, records, seed=int(time.time()), anomaly_rate=0.01, poison_rate=0.01
    )
    arn = f"arn:aws:kinesis:{settings.aws_region}:{settings.aws_account_id}:stream/"
    events, now = [], time.time()
    for start in range(0, len(built), 100):
        rows = []
        for i, record in enumerate(built[start : start + 100], start):
            seq = str(10**20 + i)
            rows.append(
                {
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": record.partition_key,
                        "sequenceNumber": seq,
                        "data": base64.b64encode(record.data).decode(),
                        "approximateArrivalTimestamp": now,
                    },
                    "eventSource": "aws:kinesis",
                    "eventVersion": "1.0",
                    "eventID": f"shardId-000000000099:{seq}",
                    "eventName": "aws:kinesis:record",
                    "invokeIdentityArn": "bench",
                    "awsRegion": settings.aws_region,
                    "eventSourceARN": arn + settings.stream.transaction_events_stream,
                }
            )
        events.append({"Records": rows})
    return events


def bench_handler(settings, records: int) -> dict:
    from dataflow.streaming.function import load_function

    function = load_function(settings)
    events = handler_batches(settings, records)
    started = time.perf_counter()
    failures = 0
    for event in events:
        invocation = function.invoke(event)
        failures += len((invocation.response or {}).get("batchItemFailures", [])) or bool(
            invocation.error
        )
    seconds = time.perf_counter() - started
    return {
        "records": records,
        "seconds": round(seconds, 2),
        "failures": failures,
        "records_per_s": round(records / seconds, 1),
    }


def bench_consumer(settings, records: int) -> dict:
    from dataflow.streaming.local import local_mapping
    from dataflow.streaming.producer import produce

    produced = produce(
        settings, records, seed=int(time.time()) + 1, anomaly_rate=0.01, poison_rate=0.01
    )
    report = local_mapping(settings).run(max_seconds=3600)
    return {
        "records": records,
        "put_s": round(produced.seconds, 2),
        "consume_s": round(report.seconds, 2),
        "checkpointed": report.records,
        "invocations": report.invocations,
        "failed_invocations": report.failed_invocations,
        "records_per_s": round(report.records / report.seconds, 1),
    }


def bench_latency(settings, records: int) -> dict:
    from dataflow.runtime.airflow import start_airflow, stop_airflow
    from dataflow.streaming import demo

    started = start_airflow(settings)
    consumer = None
    try:
        demo.unpause_microbatch(settings)
        consumer = demo.start_consumer(settings)
        from dataflow.streaming.producer import produce

        report = produce(
            settings,
            records,
            rate=LATENCY_RATE,
            seed=int(time.time()) + 2,
            anomaly_rate=0.01,
            poison_rate=0.0,
        )
        ids = [json.loads(r.data)["event_id"] for r in report.records if not r.is_poison]
        latencies = demo.wait_until_visible(settings, ids)
    finally:
        if consumer is not None:
            demo.stop_consumer(consumer)
        # Paused again: the 2x history data set lands later, and its event files would start
        # micro-batches that load them beside the timed hourly runs (seen in the 10M run).
        demo.pause_microbatch(settings)
        if started:
            stop_airflow(settings)
    return {
        "records": records,
        "rate": LATENCY_RATE,
        "visible": len(latencies),
        "expected": len(ids),
        "p50_s": demo.percentile(latencies, 50),
        "p95_s": demo.percentile(latencies, 95),
        "max_s": max(latencies, default=None),
    }


def streaming_figures(streaming: dict | None) -> list[dict]:
    """Figures with goals for ``bench_report`` (same shape as its ``figure``)."""
    if not streaming:
        return []

    def figure(name, value, unit, goal, met, note=""):
        return {"name": name, "value": value, "unit": unit, "goal": goal, "met": met, "note": note}

    handler, consumer = streaming.get("handler"), streaming.get("consumer")
    figures = []
    if handler:
        rate = handler["records_per_s"]
        note = (
            f"{handler['records']} records, {handler['failures']} failures; moto DynamoDB "
            f"PutItem {streaming['dynamodb_calls_per_s']:.0f} calls/s in the same run"
        )
        figures.append(
            figure(
                "Stream handler records/s (in-process, idempotency on)",
                rate,
                "records/s",
                f"≥ {HANDLER_GOAL:,}",
                rate >= HANDLER_GOAL,
                note,
            )
        )
        figures.append(
            figure(
                "  handler ÷ one shard's write limit (1,000/s)",
                rate / SHARD_WRITE_LIMIT,
                "×",
                "≥ 5×",
                rate >= HANDLER_GOAL,
            )
        )
    if consumer:
        figures.append(
            figure(
                "Stream consumer end to end records/s (poll → handler → DynamoDB/S3/SNS on moto)",
                consumer["records_per_s"],
                "records/s",
                "—",
                None,
                f"{consumer['records']} records",
            )
        )
    latency = streaming.get("latency")
    if latency:
        p95 = latency["p95_s"]
        note = (
            f"{latency['visible']}/{latency['expected']} events visible; p50 "
            f"{latency['p50_s']} s; put at {latency['rate']:.0f}/s"
        )
        figures.append(
            figure(
                "Event put → visible in raw.events, p95",
                p95,
                "s",
                f"< {LATENCY_GOAL_S} s",
                None
                if p95 is None
                else bool(p95 < LATENCY_GOAL_S and latency["visible"] == latency["expected"]),
                note,
            )
        )
    return figures


def main(argv=None) -> int:
    from dataflow.runtime import ensure_data_services
    from dataflow.runtime.airflow import ensure_airflow_db
    from dataflow.runtime.env import apply_service_env
    from dataflow.settings import get_settings
    from dataflow.transform import build_manifest
    from tests.streaming_support import reset_streaming_state

    args = parse_args(argv)
    settings = get_settings()
    apply_service_env(settings)
    ensure_data_services(settings)
    reset_streaming_state(settings)
    result = {"dynamodb_calls_per_s": bench_dynamodb_calls(settings)}
    print("==> stream handler", flush=True)
    result["handler"] = bench_handler(settings, args.handler_records)
    print(f"    {result['handler']}", flush=True)
    print("==> stream consumer end to end", flush=True)
    result["consumer"] = bench_consumer(settings, args.consumer_records)
    print(f"    {result['consumer']}", flush=True)
    if not args.skip_latency:
        print("==> event → raw.events latency (Airflow services, micro-batch DAG)", flush=True)
        ensure_airflow_db(settings)
        build_manifest(settings)
        result["latency"] = bench_latency(settings, args.latency_records)
        print(f"    {result['latency']}", flush=True)
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2))
    else:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
