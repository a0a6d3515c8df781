"""What a load did, per file and in total (returned to the DAG and logged)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

LOADED = "loaded"
SKIPPED = "skipped"


@dataclass(frozen=True)
class FileLoadResult:
    """Counts of one landing file; ``rows_received == rows_loaded + rows_quarantined``.

    ``interval_start`` is the file's landing hour (its lineage); ``status`` is ``loaded``, or
    ``skipped`` for an object that is not a data file (``skip_reason`` says why, 0 rows).
    ``rows_rejected_by_postgres`` counts the quarantined rows that Postgres itself refused.
    """

    source_file: str
    rows_received: int
    rows_loaded: int
    rows_quarantined: int
    extra_columns: tuple[str, ...] = ()
    interval_start: datetime | None = None
    status: str = LOADED
    skip_reason: str | None = None
    rows_rejected_by_postgres: int = 0
    compression: str | None = None

    @classmethod
    def skipped(cls, key: str, landing_hour: datetime, reason: str) -> FileLoadResult:
        return cls(key, 0, 0, 0, interval_start=landing_hour, status=SKIPPED, skip_reason=reason)

    def to_dict(self) -> dict:
        """Plain JSON types only."""
        data = asdict(self)
        data["extra_columns"] = list(self.extra_columns)
        data["interval_start"] = _iso(self.interval_start)
        return data


@dataclass(frozen=True)
class LoadResult:
    """Counts of one load call (an interval, or given files), committed in one transaction.

    ``interval_start``/``interval_end`` are the run's interval (None for a
    :func:`~dataflow.ingest.load_files` call without one).
    """

    source: str
    interval_start: datetime | None
    interval_end: datetime | None
    run_id: str | None
    files: tuple[FileLoadResult, ...]
    files_missing: tuple[str, ...] = ()  # given keys not in the bucket: nothing loaded or audited

    @property
    def rows_received(self) -> int:
        return sum(f.rows_received for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def files_skipped(self) -> int:
        return sum(f.status == SKIPPED for f in self.files)

    def to_dict(self) -> dict:
        """Plain JSON types only (lists, not tuples), e.g. for an Airflow XCom."""
        data = asdict(self)
        data["files"] = [f.to_dict() for f in self.files]
        data["files_missing"] = list(self.files_missing)
        data["interval_start"] = _iso(self.interval_start)
        data["interval_end"] = _iso(self.interval_end)
        data["rows_received"] = self.rows_received
        data["rows_loaded"] = self.rows_loaded
        data["rows_quarantined"] = self.rows_quarantined
        data["files_skipped"] = self.files_skipped
        return data


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
