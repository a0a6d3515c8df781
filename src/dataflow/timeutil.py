"""One conversion of instants to UTC, shared by the loader, the quality checks and the tasks."""

from __future__ import annotations

from datetime import UTC, datetime


def to_utc(moment: datetime) -> datetime:
    """An aware ``moment`` as a plain stdlib ``datetime`` in UTC.

    Airflow hands tasks pendulum ``DateTime`` objects; converting them to stdlib datetimes here
    keeps arithmetic (``+ timedelta``) and ``isoformat()`` uniform downstream.
    """
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no timezone; pass an aware UTC datetime")
    utc = moment.astimezone(UTC)
    return datetime(
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, UTC
    )
