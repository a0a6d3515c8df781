"""What the sinks write, decided without AWS: metrics updates, lake keys and lines, messages."""

from __future__ import annotations

import json

from stream_consumer.config import ConsumerConfig
from stream_consumer.events import EventRecord, parse_event
from stream_consumer.sinks import (
    Position,
    already_applied,
    anomaly_alert,
    lake_key,
    lake_line,
    metrics_update,
)

from tests.kinesis import kinesis_record, load_event, transaction

CONFIG = ConsumerConfig("metrics", "idempotency", "dlq-url", "topic-arn", "landing")


def test_a_longer_sequence_number_sorts_after_a_shorter_one():
    short, long = Position("s", "shard", "99"), Position("s", "shard", "100")

    assert short.sortable_sequence < long.sortable_sequence


def test_a_record_at_or_below_the_watermark_was_already_applied():
    item = {"applied#s#shard": {"S": Position("s", "shard", "100").sortable_sequence}}

    assert already_applied(item, Position("s", "shard", "100"))
    assert not already_applied(item, Position("s", "shard", "101"))
    assert not already_applied(item, Position("s", "other-shard", "5"))


def test_a_transaction_update_adds_every_counter_under_the_watermark_condition():
    event = parse_event(json.dumps(transaction(9, 12000.5)).encode())

    update = metrics_update(CONFIG, event, Position("s", "sh", "7"), {"last_event_at": "T"})

    values = {
        update["ExpressionAttributeNames"][f"#c{i}"]: update["ExpressionAttributeValues"][f":c{i}"][
            "N"
        ]
        for i in range(4)
    }
    assert values == {
        "transactions": "1",
        "total_amount": "12000.5",
        "high_value_transactions": "1",
        "anomalies": "1",
    }
    assert "#w < :seq" in update["ConditionExpression"]
    assert update["Key"] == {"customer_id": {"N": "9"}}


def test_lake_key_is_the_first_records_arrival_hour_shard_and_sequence_number():
    record = EventRecord.model_validate(load_event("kinesis_transaction_events")["Records"][0])

    assert lake_key(record) == (
        "landing/events/2026-12-01/09/transaction_events-shardId-000000000000-"
        "49654862302135960231398451225087227829838467543312465922.jsonl"
    )


def test_a_lake_line_is_the_event_as_sent_plus_its_stream_position():
    data = transaction(9, 12.5)
    record = EventRecord.model_validate(kinesis_record(data, "42", arrived_at=1796116502.5))

    line = json.loads(lake_line(record))

    assert {k: line[k] for k in data} == data
    assert line["_stream"] == {
        "stream": "transaction_events",
        "shard_id": "shardId-000000000000",
        "sequence_number": "42",
        "arrived_at": "2026-12-01T09:15:02.500000Z",
    }


def test_an_alert_names_the_customer_amount_and_event():
    data = transaction(9, 25000)
    event = parse_event(json.dumps(data).encode())

    alert = anomaly_alert(event)

    assert alert | {"severity": None} == {
        "alert_type": "transaction_anomaly",
        "anomaly_type": "amount_above_threshold",
        "severity": None,
        "customer_id": 9,
        "transaction_amount": "25000.00",
        "event_id": data["event_id"],
        "occurred_at": "2026-12-01T10:00:00.000000Z",
    }
