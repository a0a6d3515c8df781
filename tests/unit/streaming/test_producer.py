"""The producer's records: the contract's events, routed by type, with seeded defects."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from stream_consumer.events import RejectedData, TransactionEvent, parse_event

from dataflow.settings import load_settings
from dataflow.streaming.producer import batches_by_stream, build_records

SETTINGS = load_settings({})
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def records():
    return build_records(SETTINGS, 2000, seed=3, anomaly_rate=0.05, poison_rate=0.05, now=NOW)


def test_same_seed_same_records():
    again = build_records(SETTINGS, 2000, seed=3, anomaly_rate=0.05, poison_rate=0.05, now=NOW)

    assert again == build_records(
        SETTINGS, 2000, seed=3, anomaly_rate=0.05, poison_rate=0.05, now=NOW
    )


def test_defect_rates_are_roughly_as_asked(records):
    kinds = [r.kind for r in records]

    assert 60 < kinds.count("anomaly") < 140
    assert 60 < sum(r.is_poison for r in records) < 140


def test_transactions_go_to_the_transaction_stream_and_the_rest_to_the_customer_stream(records):
    for record in records:
        if record.is_poison:
            continue
        is_transaction = json.loads(record.data)["event_type"] == "transaction"
        assert (record.stream == "transaction_events") == is_transaction
        assert record.partition_key == str(json.loads(record.data)["customer_id"])


def test_poison_is_rejected_and_everything_else_accepted_by_the_events_model(records):
    for record in records:
        parsed = parse_event(record.data)
        assert isinstance(parsed, RejectedData) == record.is_poison, record


def test_anomalies_are_the_only_transactions_above_10000(records):
    for record in records:
        parsed = parse_event(record.data)
        if isinstance(parsed, TransactionEvent):
            assert parsed.is_anomaly == (record.kind == "anomaly")


def test_batches_keep_each_streams_order_and_stay_within_the_limit(records):
    batches = list(batches_by_stream(records, 500))

    assert all(len(b) <= 500 and {r.stream for r in b} == {s} for s, b in batches)
    for stream in SETTINGS.stream.streams:
        in_batches = [r for s, b in batches if s == stream for r in b]
        assert in_batches == [r for r in records if r.stream == stream]
