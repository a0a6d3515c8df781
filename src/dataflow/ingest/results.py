"""What a load did, per file and in total (returned to the DAG and logged)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime


@dataclass(frozen=True)
class FileLoadResult:
    """Counts of one landing file; ``rows_received == rows_loaded + rows_quarantined``."""

    source_file: str
    rows_received: int
    rows_loaded: int
    rows_quarantined: int
    extra_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadResult:
    """Counts of one (source, interval) load, committed in one transaction."""

    source: str
    interval_start: datetime
    interval_end: datetime
    run_id: str | None
    files: tuple[FileLoadResult, ...]

    @property
    def rows_received(self) -> int:
        return sum(f.rows_received for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    def to_dict(self) -> dict:
        """Plain JSON types only (lists, not tuples), e.g. for an Airflow XCom."""
        data = asdict(self)
        data["files"] = [{**f, "extra_columns": list(f["extra_columns"])} for f in data["files"]]
        data["interval_start"] = self.interval_start.isoformat()
        data["interval_end"] = self.interval_end.isoformat()
        data["rows_received"] = self.rows_received
        data["rows_loaded"] = self.rows_loaded
        data["rows_quarantined"] = self.rows_quarantined
        return data
