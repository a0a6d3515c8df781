"""Shard order: after the first failed record the rest of the batch is reported, not processed."""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from stream_consumer.events import EventRecord
from stream_consumer.processor import ShardOrderBatchProcessor

from tests.kinesis import kinesis_event, kinesis_record, sequence_numbers, transaction


def run(records, fail_at=None):
    handled, prefixes = [], []
    processor = ShardOrderBatchProcessor(
        event_type=EventType.KinesisDataStreams,
        model=EventRecord,
        raise_on_entire_batch_failure=False,
        on_success_prefix=prefixes.append,
    )

    def handler(record):
        if record.sequence_number == fail_at:
            raise ConnectionError("endpoint unreachable")
        handled.append(record.sequence_number)
        return {"ok": record.sequence_number}

    response = process_partial_response(kinesis_event(records), handler, processor)
    return response, handled, prefixes


def test_every_record_after_the_first_failure_is_reported_and_not_handled():
    seqs = sequence_numbers(0, 5)
    records = [kinesis_record(transaction(1, 10), s) for s in seqs]

    response, handled, prefixes = run(records, fail_at=seqs[2])

    assert response == {"batchItemFailures": [{"itemIdentifier": s} for s in seqs[2:]]}
    assert handled == seqs[:2]
    assert [[(r.sequence_number, out) for r, out in p] for p in prefixes] == [
        [(s, {"ok": s}) for s in seqs[:2]]
    ]


def test_a_batch_without_failures_hands_every_record_to_the_prefix_hook():
    seqs = sequence_numbers(0, 3)
    records = [kinesis_record(transaction(1, 10), s) for s in seqs]

    response, handled, prefixes = run(records)

    assert response == {"batchItemFailures": []}
    assert [r.sequence_number for r, _ in prefixes[0]] == seqs


def test_a_failing_first_record_hands_no_prefix():
    seqs = sequence_numbers(0, 2)
    records = [kinesis_record(transaction(1, 10), s) for s in seqs]

    response, handled, prefixes = run(records, fail_at=seqs[0])

    assert len(response["batchItemFailures"]) == 2
    assert handled == [] and prefixes == []
