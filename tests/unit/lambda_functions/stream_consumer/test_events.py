"""Records become typed events of the contract, or poison with a reason — never an exception."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from stream_consumer.events import (
    CustomerUpdateEvent,
    EventRecord,
    RejectedData,
    TransactionEvent,
    parse_event,
)

from tests.kinesis import load_event

EVENT = {
    "event_id": "5f0f6c1e-3b7a-4d53-9a57-8f0d5f7e2a11",
    "event_type": "transaction",
    "customer_id": 7,
    "occurred_at": "2026-12-01T09:15:02+02:00",
    "amount": 1000.01,
    "product_id": 3,
}


def test_a_transaction_is_typed_with_an_exact_amount_in_utc():
    event = parse_event(json.dumps(EVENT).encode())

    assert isinstance(event, TransactionEvent)
    assert event.amount == Decimal("1000.01")
    assert event.occurred_at.isoformat() == "2026-12-01T07:15:02+00:00"


@pytest.mark.parametrize(
    ("amount", "high_value", "anomaly"),
    [(1000, False, False), (1000.01, True, False), (10000, True, False), (10000.01, True, True)],
)
def test_high_value_above_1000_and_anomaly_above_10000(amount, high_value, anomaly):
    event = parse_event(json.dumps({**EVENT, "amount": amount}).encode())

    assert (event.is_high_value, event.is_anomaly) == (high_value, anomaly)


@pytest.mark.parametrize(
    ("sub_type", "kind"),
    [("login", "login"), ("email_change", "profile_update"), ("profile_update", "profile_update")],
)
def test_customer_updates_are_logins_or_profile_updates(sub_type, kind):
    data = {**EVENT, "event_type": "customer_update", "sub_type": sub_type}
    event = parse_event(json.dumps(data).encode())

    assert isinstance(event, CustomerUpdateEvent)
    assert event.kind == kind


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"event_id": "5f0f', "not JSON"),
        (b"[1, 2]", "not a JSON object: list"),
        (json.dumps({**EVENT, "event_type": "refund"}).encode(), "not the events schema"),
        (json.dumps({**EVENT, "customer_id": "7"}).encode(), "customer_id"),
        (json.dumps({**EVENT, "occurred_at": "2026-12-01T09:15:02"}).encode(), "timezone"),
        (json.dumps({**EVENT, "amount": 12.345}).encode(), "amount"),
        (json.dumps({k: v for k, v in EVENT.items() if k != "event_id"}).encode(), "event_id"),
    ],
)
def test_poison_becomes_rejected_data_with_the_reason(raw, reason):
    rejected = parse_event(raw)

    assert isinstance(rejected, RejectedData)
    assert reason in rejected.reason
    assert rejected.raw == raw


def test_a_lambda_record_is_parsed_with_its_position_and_bytes():
    raw = load_event("kinesis_transaction_events")["Records"][1]

    record = EventRecord.model_validate(raw)

    assert record.stream_name == "transaction_events"
    assert record.shard_id == "shardId-000000000000"
    assert record.sequence_number == raw["kinesis"]["sequenceNumber"]
    assert isinstance(record.kinesis.data, RejectedData)
    assert record.kinesis.data_raw.startswith(b'{"event_id": "0c1d2e3f')
