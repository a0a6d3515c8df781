"""The consumer Lambda's handler against the moto server: exact batchItemFailures and effects.

The handler runs in-process with the function's environment from streaming.yaml (as
``dataflow stream consume`` runs it). A transient failure is a real one: the handler's SNS
client is pointed at a port where nothing listens.
"""

from __future__ import annotations

import json
import socket

import pytest

from tests.kinesis import kinesis_event, kinesis_record, load_event, sequence_numbers, transaction
from tests.streaming_support import (
    lake_event_ids,
    lake_keys,
    metrics_items,
    queue_messages,
    reset_streaming_state,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def function(settings):
    from dataflow.streaming.function import load_function

    return load_function(settings)


def forget_cached_idempotency(function):
    """What a new Lambda container knows: nothing in memory, only DynamoDB."""
    for persistence in (function.module.event_persistence, function.module.dead_letter_persistence):
        cache = getattr(persistence, "_cache", None)  # made on first use
        if cache is not None:
            cache.clear()


@pytest.fixture
def fresh(settings, function):
    reset_streaming_state(settings)
    forget_cached_idempotency(function)


@pytest.fixture
def unreachable_sns(function):
    """The handler's SNS client, pointed at a closed port until the test restores it."""
    import boto3

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free, and nothing listens once closed
    sinks = function.module.SINKS
    working = sinks.sns
    sinks.sns = boto3.client(
        "sns",
        endpoint_url=f"http://127.0.0.1:{port}",
        config=type(working.meta.config)(retries={"max_attempts": 1}, connect_timeout=1),
    )
    yield lambda: setattr(sinks, "sns", working)
    sinks.sns = working


def test_a_real_shaped_batch_counts_alerts_and_dead_letters_with_no_failures(
    settings, function, fresh
):
    event = load_event("kinesis_transaction_events")

    invocation = function.invoke(event)

    assert invocation.error is None
    assert invocation.response == {"batchItemFailures": []}
    item = metrics_items(settings)[4242]
    assert (
        item["transactions"],
        item["total_amount"],
        item["high_value_transactions"],
        item["anomalies"],
    ) == ("2", "19499.99", "2", "1")
    assert item["last_event_at"] == "2026-12-01T09:15:40.000000Z"
    (alert,) = queue_messages(settings, settings.stream.alerts_readback_queue)
    assert alert["event_id"] == "a3b1c9d2-7e4f-4a60-b1c2-d3e4f5a6b7c8"
    assert alert["transaction_amount"] == "18250.00"


def test_poison_goes_to_the_dead_letter_queue_with_reason_and_position_and_the_shard_moves_on(
    settings, function, fresh
):
    event = load_event("kinesis_transaction_events")
    poison = event["Records"][1]

    function.invoke(event)

    (dead,) = queue_messages(settings, settings.stream.dead_letter_queue)
    assert dead["reason"].startswith("not JSON")
    assert (dead["stream"], dead["shard_id"], dead["sequence_number"]) == (
        "transaction_events",
        "shardId-000000000000",
        poison["kinesis"]["sequenceNumber"],
    )
    assert dead["data_base64"] == poison["kinesis"]["data"]
    assert sorted(lake_event_ids(settings)) == [
        "5f0f6c1e-3b7a-4d53-9a57-8f0d5f7e2a11",
        "a3b1c9d2-7e4f-4a60-b1c2-d3e4f5a6b7c8",
    ]


def test_customer_events_set_last_login_only_from_logins(settings, function, fresh):
    function.invoke(load_event("kinesis_customer_events"))

    item = metrics_items(settings)[4242]
    assert item["last_login_at"] == "2026-12-01T09:10:00.000000Z"
    assert item["last_event_at"] == "2026-12-01T09:12:30.000000Z"  # the page view, not later
    assert item["transactions"] == "0"


def test_a_transient_failure_reports_the_record_and_the_rest_then_the_retry_processes_them(
    settings, function, fresh, unreachable_sns
):
    seqs = sequence_numbers(0, 4)
    events = [transaction(7, 20), transaction(7, 30), transaction(7, 15000), transaction(7, 40)]
    records = [kinesis_record(e, s) for e, s in zip(events, seqs, strict=True)]

    first = function.invoke(kinesis_event(records))
    unreachable_sns()  # the endpoint is back
    retry = function.invoke(kinesis_event(records[2:]))  # the mapping resumes at the failure

    assert first.response == {"batchItemFailures": [{"itemIdentifier": s} for s in seqs[2:]]}
    assert retry.response == {"batchItemFailures": []}
    item = metrics_items(settings)[7]
    assert (item["transactions"], item["total_amount"], item["anomalies"]) == ("4", "15090", "1")
    assert len(queue_messages(settings, settings.stream.alerts_readback_queue)) == 1
    assert sorted(lake_event_ids(settings)) == sorted(e["event_id"] for e in events)
    assert len(lake_keys(settings)) == 2  # the first prefix, then the retried batch


def test_a_replayed_batch_counts_alerts_and_lands_nothing_twice(settings, function, fresh):
    seqs = sequence_numbers(10, 3)
    events = [transaction(8, 11000), transaction(8, 2000), transaction(8, 5)]
    batch = kinesis_event([kinesis_record(e, s) for e, s in zip(events, seqs, strict=True)])
    function.invoke(batch)
    forget_cached_idempotency(function)  # a restarted container

    replay = function.invoke(batch)

    assert replay.response == {"batchItemFailures": []}
    item = metrics_items(settings)[8]
    assert (
        item["transactions"],
        item["total_amount"],
        item["high_value_transactions"],
        item["anomalies"],
    ) == ("3", "13005", "2", "1")
    assert len(queue_messages(settings, settings.stream.alerts_readback_queue)) == 1
    assert len(lake_keys(settings)) == 1
    assert sorted(lake_event_ids(settings)) == sorted(e["event_id"] for e in events)


def test_an_event_the_producer_sent_twice_is_counted_and_landed_once(settings, function, fresh):
    event = transaction(9, 1500)
    first = kinesis_event([kinesis_record(event, sequence_numbers(20, 1)[0])])
    again = kinesis_event([kinesis_record(event, sequence_numbers(21, 1)[0])])  # a new record

    function.invoke(first)
    function.invoke(again)

    assert metrics_items(settings)[9]["transactions"] == "1"
    assert lake_event_ids(settings) == [event["event_id"]]


def test_a_metrics_update_that_ran_before_a_crash_is_not_applied_again(settings, function, fresh):
    """The process died after counting but before the idempotency record was completed."""
    from stream_consumer.events import parse_event
    from stream_consumer.sinks import Position

    data = transaction(10, 50)
    seq = sequence_numbers(30, 1)[0]
    position = Position("transaction_events", "shardId-000000000000", seq)
    assert function.module.SINKS.apply_metrics(parse_event(json.dumps(data).encode()), position)

    function.invoke(kinesis_event([kinesis_record(data, seq)]))

    assert metrics_items(settings)[10]["transactions"] == "1"


def test_emf_metrics_reach_cloudwatch(settings, function, fresh):
    from dataflow.aws import aws_client

    function.invoke(load_event("kinesis_transaction_events"))

    cloudwatch = aws_client(settings, "cloudwatch")
    names = {
        m["MetricName"]
        for m in cloudwatch.list_metrics(Namespace="DataPlatform/RealTime")["Metrics"]
    }
    assert {"RecordsProcessed", "HighValueTransactions", "AnomaliesDetected"} <= names
