"""dbt vars for a data interval: ISO-8601 UTC, and clear errors on ambiguous input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dataflow.transform import dbt_vars


def test_dbt_vars_gives_iso_utc_bounds_of_the_interval():
    start = datetime(2024, 12, 31, 23, tzinfo=UTC)

    result = dbt_vars(start, start + timedelta(hours=1))

    assert result == {
        "data_interval_start": "2024-12-31T23:00:00+00:00",
        "data_interval_end": "2025-01-01T00:00:00+00:00",
    }


def test_dbt_vars_converts_other_offsets_to_utc():
    paris = timezone(timedelta(hours=1))

    result = dbt_vars(datetime(2025, 1, 1, 1, tzinfo=paris), datetime(2025, 1, 1, 2, tzinfo=paris))

    assert result["data_interval_start"] == "2025-01-01T00:00:00+00:00"
    assert result["data_interval_end"] == "2025-01-01T01:00:00+00:00"


def test_dbt_vars_accepts_airflow_pendulum_datetimes():
    import pendulum

    start = pendulum.datetime(2025, 3, 1, 5, tz="UTC")

    result = dbt_vars(start, start.add(hours=1))

    assert result["data_interval_end"] == "2025-03-01T06:00:00+00:00"


def test_dbt_vars_rejects_naive_datetimes():
    with pytest.raises(ValueError, match="no time zone"):
        dbt_vars(datetime(2025, 1, 1), datetime(2025, 1, 1, 1, tzinfo=UTC))


def test_dbt_vars_rejects_an_interval_that_does_not_move_forward():
    moment = datetime(2025, 1, 1, tzinfo=UTC)

    with pytest.raises(ValueError, match="must be after its start"):
        dbt_vars(moment, moment)
