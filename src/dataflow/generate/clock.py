"""Fast UTC formatting of epoch seconds through precomputed tables.

``datetime.strftime`` per row would dominate the generator's time; a day-prefix table plus a
time-of-day table turns a timestamp into two list lookups and one concatenation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DAY = 86_400
HOUR = 3_600
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds since the Unix epoch of an aware datetime."""
    return int((moment - EPOCH).total_seconds())


class Clock:
    """Formats epoch seconds in ``[start, end]`` as ISO-8601 UTC timestamps and dates."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.day0 = epoch_seconds(start) // DAY - 1
        days = range(self.day0, epoch_seconds(end) // DAY + 2)
        self.dates = [(EPOCH + timedelta(days=d)).strftime("%Y-%m-%d") for d in days]
        self.day_prefixes = [d + "T" for d in self.dates]
        self.times_of_day = [
            f"{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)
        ]

    def timestamp(self, seconds: int) -> str:
        """``YYYY-MM-DDTHH:MM:SSZ``."""
        return self.day_prefixes[seconds // DAY - self.day0] + self.times_of_day[seconds % DAY]

    def date(self, seconds: int) -> str:
        """``YYYY-MM-DD`` of the UTC day containing ``seconds``."""
        return self.dates[seconds // DAY - self.day0]
