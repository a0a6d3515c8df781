"""Loader helpers that need no services: source lookup and interval arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dataflow.ingest.loader import interval_hours, normalise_interval, source_contract


def test_unknown_source_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown source 'orders'"):
        source_contract("orders")


def test_interval_is_normalised_to_utc_and_naive_means_utc():
    cet = timezone(timedelta(hours=1))
    start, end = normalise_interval(datetime(2024, 1, 1, 11, tzinfo=cet), datetime(2024, 1, 1, 11))

    assert (start, end) == (
        datetime(2024, 1, 1, 10, tzinfo=UTC),
        datetime(2024, 1, 1, 11, tzinfo=UTC),
    )


def test_empty_interval_is_rejected():
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="empty interval"):
        normalise_interval(moment, moment)


def test_interval_covers_every_hour_folder_it_touches():
    start = datetime(2024, 1, 1, 22, 30, tzinfo=UTC)

    hours = list(interval_hours(start, start + timedelta(hours=2)))

    assert hours == [start.replace(minute=0) + timedelta(hours=h) for h in range(3)]


def test_load_result_to_dict_is_plain_json_with_totals():
    import json

    from dataflow.ingest import FileLoadResult, LoadResult

    hour = datetime(2024, 1, 1, 10, tzinfo=UTC)
    files = (FileLoadResult("a.csv", 3, 2, 1, ("coupon",)), FileLoadResult("b.csv", 1, 1, 0))
    data = LoadResult("transactions", hour, hour + timedelta(hours=1), "r1", files).to_dict()

    assert json.loads(json.dumps(data)) == data
    assert (data["rows_received"], data["rows_loaded"], data["rows_quarantined"]) == (4, 3, 1)
    assert data["files"][0]["extra_columns"] == ["coupon"]
    assert data["interval_start"] == "2024-01-01T10:00:00+00:00"
