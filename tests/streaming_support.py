"""Shared by the streaming tests: a clean streaming state, reading it back, expected outcomes.

The expected outcome is computed from what the producer put, with the issue's rules written out
here again (not imported from the consumer), like ``tests/e2e/expected.py`` for the marts.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from dataflow.aws import aws_client

HIGH_VALUE = Decimal("1000")
ANOMALY = Decimal("10000")


# --- a clean slate ------------------------------------------------------------------------
def reset_streaming_state(settings) -> None:
    """Empty streams, tables, queues and lake files of the streaming path (the stack stays)."""
    stream = settings.stream
    kinesis = aws_client(settings, "kinesis")
    for name in stream.streams:
        kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
        _wait(lambda n=name: n not in kinesis.list_streams()["StreamNames"])
        kinesis.create_stream(StreamName=name, ShardCount=stream.shard_count)
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
        kinesis.start_stream_encryption(
            StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis"
        )
    dynamodb = aws_client(settings, "dynamodb")
    for table in (stream.metrics_table, stream.idempotency_table, stream.checkpoint_table):
        _empty_table(dynamodb, table)
    for queue in (
        stream.dead_letter_queue,
        stream.failed_batch_queue,
        stream.landing_events_queue,
        stream.alerts_readback_queue,
    ):
        queue_messages(settings, queue, wait_seconds=0)  # PurgeQueue: once a minute only
    s3 = aws_client(settings, "s3")
    for key in lake_keys(settings):
        s3.delete_object(Bucket=settings.landing_bucket, Key=key)


def _empty_table(dynamodb, table: str) -> None:
    key_names = [
        k["AttributeName"] for k in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
    ]
    keys = [
        {k: item[k] for k in key_names}
        for page in dynamodb.get_paginator("scan").paginate(TableName=table)
        for item in page["Items"]
    ]
    for start in range(0, len(keys), 25):
        requests = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
        dynamodb.batch_write_item(RequestItems={table: requests})


def _wait(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


# --- reading it back ----------------------------------------------------------------------
def queue_messages(settings, queue: str, wait_seconds: int = 1) -> list[dict]:
    """Every message body of ``queue`` (received and deleted), parsed as JSON."""
    sqs = aws_client(settings, "sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    bodies = []
    while True:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        )
        messages = got.get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(_json_or_text(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _json_or_text(body: str):
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return body


def metrics_items(settings) -> dict[int, dict]:
    """Items of the real-time metrics table by customer id, as plain values."""
    dynamodb = aws_client(settings, "dynamodb")
    items = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=settings.stream.metrics_table):
        for item in page["Items"]:
            plain = {name: next(iter(v.values())) for name, v in item.items()}
            items[int(plain["customer_id"])] = plain
    return items


def lake_keys(settings) -> list[str]:
    s3 = aws_client(settings, "s3")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=settings.landing_bucket, Prefix="landing/events/"
    )
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def lake_event_ids(settings) -> list[str]:
    """The event_id of every line of every lake file (duplicates kept)."""
    s3 = aws_client(settings, "s3")
    ids = []
    for key in lake_keys(settings):
        body = s3.get_object(Bucket=settings.landing_bucket, Key=key)["Body"].read()
        ids.extend(json.loads(line)["event_id"] for line in body.decode().splitlines() if line)
    return ids


def metric_as_expected(item: dict) -> dict:
    """A metrics item in the shape of :class:`CustomerMetrics`."""
    return {
        "transactions": int(item["transactions"]),
        "total_amount": Decimal(item["total_amount"]),
        "high_value_transactions": int(item["high_value_transactions"]),
        "anomalies": int(item["anomalies"]),
        "last_event_at": _instant(item["last_event_at"]),
        "last_login_at": _instant(item["last_login_at"]) if "last_login_at" in item else None,
    }


# --- what should be there -----------------------------------------------------------------
@dataclass
class Expected:
    metrics: dict[int, dict] = field(default_factory=dict)
    alerted_event_ids: set[str] = field(default_factory=set)
    event_ids: set[str] = field(default_factory=set)
    poison_by_stream: dict[str, int] = field(default_factory=dict)


def expected_outcome(records) -> Expected:
    """What the consumer must produce for the producer's ``records`` (StreamRecord list)."""
    expected = Expected()
    metrics: dict[int, dict] = defaultdict(
        lambda: {
            "transactions": 0,
            "total_amount": Decimal(0),
            "high_value_transactions": 0,
            "anomalies": 0,
            "last_event_at": None,
            "last_login_at": None,
        }
    )
    for record in records:
        if record.kind.startswith("poison"):
            stream = record.stream
            expected.poison_by_stream[stream] = expected.poison_by_stream.get(stream, 0) + 1
            continue
        event = json.loads(record.data)
        if event["event_id"] in expected.event_ids:
            continue  # the producer sent it twice: counted once
        expected.event_ids.add(event["event_id"])
        customer = metrics[event["customer_id"]]
        at = _instant(event["occurred_at"])
        customer["last_event_at"] = max(filter(None, (customer["last_event_at"], at)))
        if event["event_type"] == "transaction":
            amount = Decimal(str(event["amount"]))
            customer["transactions"] += 1
            customer["total_amount"] += amount
            customer["high_value_transactions"] += amount > HIGH_VALUE
            customer["anomalies"] += amount > ANOMALY
            if amount > ANOMALY:
                expected.alerted_event_ids.add(event["event_id"])
        if event["event_type"] == "customer_update" and event["sub_type"] == "login":
            customer["last_login_at"] = max(filter(None, (customer["last_login_at"], at)))
    expected.metrics = dict(metrics)
    return expected


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
