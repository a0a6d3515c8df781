"""Instants cross the Airflow boundary as plain UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pendulum
import pytest

from dataflow.timeutil import to_utc


def test_pendulum_datetime_becomes_a_plain_utc_datetime():
    moment = to_utc(pendulum.datetime(2026, 11, 1, 1, tz="Europe/Paris"))
    assert type(moment) is datetime
    assert moment == datetime(2026, 11, 1, 0, tzinfo=UTC)
    assert (moment + timedelta(hours=1)).tzinfo is UTC


def test_other_offsets_are_converted():
    assert to_utc(datetime(2026, 1, 1, 5, tzinfo=timezone(timedelta(hours=5)))) == datetime(
        2026, 1, 1, tzinfo=UTC
    )


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="no timezone"):
        to_utc(datetime(2026, 1, 1))
