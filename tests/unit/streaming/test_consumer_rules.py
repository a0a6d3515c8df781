"""The local event source mapping's rules, as Lambda applies them to a Kinesis batch."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from dataflow.streaming.consumer import first_failure
from dataflow.streaming.function import Invocation, emf_metric_data, split_emf
from dataflow.streaming.mapping import MappingConfig

BATCH = [{"SequenceNumber": s} for s in ("11", "12", "13")]


def answer(failures=None, error=None):
    response = None if error else {"batchItemFailures": failures or []}
    return Invocation(response, error, 0.1)


def test_no_failures_means_the_whole_batch_succeeded():
    assert first_failure(BATCH, answer()) == 3


def test_the_lowest_failed_sequence_number_is_where_the_shard_resumes():
    failures = [{"itemIdentifier": "13"}, {"itemIdentifier": "12"}]

    assert first_failure(BATCH, answer(failures)) == 1


def test_a_function_error_or_an_unknown_identifier_fails_the_whole_batch():
    assert first_failure(BATCH, answer(error="Boom")) == 0
    assert first_failure(BATCH, answer([{"itemIdentifier": "99"}])) == 0


def test_retries_are_exhausted_only_past_the_maximum():
    mapping = MappingConfig("s", "arn", "TRIM_HORIZON", 100, 1, True, 2, 3600, True, None)

    assert not mapping.retries_exhausted(2)
    assert mapping.retries_exhausted(3)
    assert not replace(mapping, maximum_retry_attempts=-1).retries_exhausted(99)


def test_emf_lines_are_split_from_logs_and_become_metric_data():
    emf = {
        "_aws": {
            "Timestamp": 1796116502000,
            "CloudWatchMetrics": [
                {
                    "Namespace": "DataPlatform/RealTime",
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": "RecordsProcessed", "Unit": "Count"}],
                }
            ],
        },
        "service": "stream-consumer",
        "RecordsProcessed": [1.0, 1.0],
    }
    text = '{"level": "INFO", "message": "hi"}\n' + json.dumps(emf) + "\nplain\n"

    documents, other = split_emf(text)
    ((namespace, data),) = emf_metric_data(documents[0])

    assert other == '{"level": "INFO", "message": "hi"}\nplain\n'
    assert namespace == "DataPlatform/RealTime"
    assert data == [
        {
            "MetricName": "RecordsProcessed",
            "Values": [1.0, 1.0],
            "Unit": "Count",
            "Dimensions": [{"Name": "service", "Value": "stream-consumer"}],
            "Timestamp": datetime(2026, 12, 1, 9, 15, 2, tzinfo=UTC).timestamp(),
        }
    ]
