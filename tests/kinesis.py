"""Lambda Kinesis events for the consumer's tests: real-shaped files and a factory.

``tests/events/*.json`` are events as Lambda delivers them; :func:`kinesis_event` builds more
of the same shape (base64 data, shard-scoped event ids, arrival timestamps).
"""

from __future__ import annotations

import base64
import copy
import json
import time
import uuid
from pathlib import Path

EVENTS_DIR = Path(__file__).resolve().parent / "events"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/dataflow-stream-consumer-local"


def load_event(name: str) -> dict:
    """An event file of ``tests/events`` (a fresh copy)."""
    return copy.deepcopy(json.loads((EVENTS_DIR / f"{name}.json").read_text()))


def kinesis_record(
    data: bytes | dict,
    sequence_number: str,
    stream: str = "transaction_events",
    shard_id: str = "shardId-000000000000",
    partition_key: str | None = None,
    arrived_at: float | None = None,
) -> dict:
    """One record of a Lambda Kinesis event; a dict ``data`` is sent as compact JSON."""
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    if partition_key is None:
        partition_key = str(data.get("customer_id", "0")) if isinstance(data, dict) else "0"
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(raw).decode("ascii"),
            "approximateArrivalTimestamp": time.time() if arrived_at is None else arrived_at,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": ROLE_ARN,
        "awsRegion": "us-east-1",
        "eventSourceARN": f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{stream}",
    }


def kinesis_event(records: list[dict]) -> dict:
    return {"Records": records}


def transaction(customer_id: int, amount: float, occurred_at: str = "2026-12-01T10:00:00Z"):
    """A transaction event of the contract with a fresh event_id."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "transaction",
        "customer_id": customer_id,
        "occurred_at": occurred_at,
        "amount": amount,
        "product_id": 1,
    }


def sequence_numbers(first: int, count: int) -> list[str]:
    """Kinesis-length (56-digit) increasing sequence numbers."""
    base = 49654862302135960231398451225087227829838467543312465922
    return [str(base + (first + i) * 1_000_003) for i in range(count)]
