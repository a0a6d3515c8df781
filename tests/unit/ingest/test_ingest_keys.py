"""Landing keys: the file's landing hour, and which objects are not data files."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dataflow.contracts import EVENTS, TRANSACTIONS
from dataflow.ingest.keys import LandingKeyError, classify, landing_hour

PREFIX = "landing/transactions/2024-03-01/07/"


def test_landing_hour_comes_from_the_key():
    assert landing_hour(PREFIX + "part-0001.csv", TRANSACTIONS) == datetime(
        2024, 3, 1, 7, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "key",
    [
        "landing/customers/2024-03-01/07/a.csv",  # another source
        "landing/transactions/2024-03-01/a.csv",  # no hour folder
        "landing/transactions/2024-02-30/07/a.csv",  # not a date
        "landing/transactions/2024-03-01/24/a.csv",  # not an hour
        "raw/transactions/2024-03-01/07/a.csv",
    ],
)
def test_a_key_outside_the_source_landing_layout_is_a_caller_error(key):
    with pytest.raises(LandingKeyError, match="landing"):
        landing_hour(key, TRANSACTIONS)


@pytest.mark.parametrize(
    ("name", "gzip"),
    [("part-0001.csv", False), ("PART.CSV", False), ("part.csv.gz", True), ("sub/x.csv", False)],
)
def test_data_files_are_loaded(name, gzip):
    landing = classify(PREFIX + name, TRANSACTIONS)

    assert landing.skip_reason is None and landing.gzip is gzip


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "folder placeholder"),
        ("sub/", "folder placeholder"),
        ("07_$folder$", "folder placeholder"),
        ("_SUCCESS", "marker or hidden/temporary file (_SUCCESS)"),
        ("_temporary/0/part.csv", "marker or hidden/temporary file"),
        (".part.csv.crc", "marker or hidden/temporary file"),
        ("part.csv.tmp", "temporary file (part.csv.tmp)"),
        ("part.csv.partial", "temporary file"),
        ("part.csv~", "temporary file"),
        ("part.parquet", "unexpected file type (part.parquet): csv files end in .csv[.gz]"),
        ("part.jsonl", "unexpected file type"),
    ],
)
def test_objects_that_are_not_data_files_are_skipped_with_a_reason(name, reason):
    landing = classify(PREFIX + name, TRANSACTIONS)

    assert reason in landing.skip_reason
    assert landing.landing_hour == datetime(2024, 3, 1, 7, tzinfo=UTC)


def test_json_lines_files_may_end_in_jsonl_or_ndjson_plain_or_gzipped():
    prefix = "landing/events/2024-03-01/07/"
    for name in ("a.jsonl", "a.ndjson", "a.jsonl.gz"):
        assert classify(prefix + name, EVENTS).skip_reason is None
    assert "unexpected file type" in classify(prefix + "a.csv", EVENTS).skip_reason
