"""Landing keys: which landing hour a file belongs to, and whether it is a data file at all.

``landing/<source>/<YYYY-MM-DD>/<HH>/<name>``: the hour in the key is the file's lineage
(``raw.<source>._interval_start``), the same whichever DAG run or interval loads the file.
Under a landing prefix there may also be objects that are not data: ``_SUCCESS`` markers,
temporary files of a writer still uploading, "folder" placeholders. They are skipped with a
reason (and an audit row), never loaded or failed on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from dataflow.contracts import LANDING_PREFIX, Source

_KEY_RE = re.compile(
    rf"{LANDING_PREFIX}/(?P<source>[^/]+)/(?P<date>\d{{4}}-\d{{2}}-\d{{2}})/(?P<hour>\d{{2}})/"
    r"(?P<rest>.*)",
    re.ASCII | re.DOTALL,
)
DATA_SUFFIXES = {"csv": (".csv",), "jsonl": (".jsonl", ".ndjson")}
GZIP_SUFFIX = ".gz"
TEMPORARY_SUFFIXES = (
    ".tmp", ".temp", ".part", ".partial", ".inprogress", ".crdownload", ".swp", ".filepart", "~",
)  # fmt: skip
FOLDER_MARKER = "_$folder$"  # Hadoop/EMR's "directory" objects


class LandingKeyError(ValueError):
    """A key that is not ``landing/<source>/<YYYY-MM-DD>/<HH>/...`` of the given source."""


@dataclass(frozen=True)
class LandingFile:
    """One object under a landing prefix, classified."""

    key: str
    landing_hour: datetime
    skip_reason: str | None  # None: a data file to load
    gzip: bool = False


def landing_hour(key: str, source: Source) -> datetime:
    """The UTC hour in ``key``; :class:`LandingKeyError` if ``key`` is not one of ``source``."""
    match = _KEY_RE.fullmatch(key)
    if not match or match["source"] != source.name:
        raise LandingKeyError(
            f"{key!r} is not a landing key of {source.name}: expected "
            f"{LANDING_PREFIX}/{source.name}/<YYYY-MM-DD>/<HH>/<file>"
        )
    try:
        day = datetime.strptime(match["date"], "%Y-%m-%d")
    except ValueError:
        raise LandingKeyError(f"{key!r}: {match['date']} is not a calendar date") from None
    hour = int(match["hour"])
    if hour > 23:
        raise LandingKeyError(f"{key!r}: hour folder {match['hour']} is not 00-23")
    return day.replace(hour=hour, tzinfo=UTC)


def classify(key: str, source: Source) -> LandingFile:
    """``key`` with its landing hour and, for an object that is not data, why it is skipped."""
    hour = landing_hour(key, source)
    rest = _KEY_RE.fullmatch(key)["rest"]
    reason = _skip_reason(rest, source.file_format)
    return LandingFile(key, hour, reason, gzip=reason is None and rest.lower().endswith(".gz"))


def _skip_reason(rest: str, file_format: str) -> str | None:
    if rest == "" or rest.endswith("/") or rest.endswith(FOLDER_MARKER):
        return "folder placeholder, not a data file"
    name = rest.rsplit("/", 1)[-1]
    if any(part.startswith(("_", ".")) for part in rest.split("/")):
        return f"marker or hidden/temporary file ({name}), not a data file"
    lower = name.lower()
    if lower.endswith(TEMPORARY_SUFFIXES):
        return f"temporary file ({name}), not a data file"
    if "\x00" in rest:
        return "key contains a NUL character, which Postgres text cannot hold"
    stem = lower.removesuffix(GZIP_SUFFIX)
    suffixes = DATA_SUFFIXES[file_format]
    if not stem.endswith(suffixes):
        expected = ", ".join(f"{s}[.gz]" for s in suffixes)
        return f"unexpected file type ({name}): {file_format} files end in {expected}"
    return None
