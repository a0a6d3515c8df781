"""CSV header check: map the file's columns to the contract by name.

Columns may come in any order; extra columns are ignored (and reported); a missing contract
column fails the load with :class:`HeaderMismatchError`, because every row of such a file
would be wrong and silently loading NULLs would hide upstream schema drift.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from dataflow.contracts import Column, Source
from dataflow.ingest.errors import LandingFileError


class HeaderMismatchError(LandingFileError):
    """A landing file's header does not carry the columns of its contract."""

    def __init__(
        self,
        file_key: str,
        problem: str,
        missing: tuple[str, ...] = (),
        unknown: tuple[str, ...] = (),
    ):
        self.missing = missing
        self.unknown = unknown
        super().__init__(file_key, problem)


@dataclass(frozen=True)
class CsvLayout:
    """Where each contract column sits in one file, and which file columns are extra."""

    source: Source
    file_key: str
    header: tuple[str, ...]
    kept: tuple[tuple[int, Column], ...]  # (position in the file, contract column), file order
    extra_columns: tuple[str, ...]

    @property
    def field_count(self) -> int:
        return len(self.header)

    @property
    def copy_columns(self) -> tuple[str, ...]:
        """Contract columns in file order: the column list of the ``COPY``."""
        return tuple(column.name for _, column in self.kept)

    @property
    def passthrough(self) -> bool:
        """True when a valid line can go to ``COPY`` unchanged (no column to drop)."""
        return not self.extra_columns


def split_header(line: str) -> tuple[str, ...]:
    """Column names of a header line: CSV-parsed, trimmed, lower-cased, BOM removed."""
    fields = next(csv.reader([line.removeprefix("\ufeff")]), [])
    return tuple(name.strip().lower() for name in fields)


def parse_header(line: str, source: Source, file_key: str) -> CsvLayout:
    """Check a header line against ``source``; raise :class:`HeaderMismatchError` if off."""
    header = split_header(line)
    _reject_duplicates(header, source, file_key)
    expected = source.column_names
    missing = tuple(name for name in expected if name not in header)
    unknown = tuple(name for name in header if name not in expected)
    if missing:
        raise HeaderMismatchError(
            file_key,
            f"header does not match the {source.name} contract: missing column(s) "
            f"{', '.join(missing)}"
            + (f"; unexpected column(s) {', '.join(unknown)} (renamed?)" if unknown else "")
            + f". Expected (any order): {', '.join(expected)}; found: {', '.join(header)}. "
            "Fix the producer or change dataflow.contracts, then rerun the interval.",
            missing=missing,
            unknown=unknown,
        )
    columns = {c.name: c for c in source.columns}
    kept = tuple((i, columns[name]) for i, name in enumerate(header) if name in columns)
    return CsvLayout(source, file_key, header, kept, unknown)


def _reject_duplicates(header: tuple[str, ...], source: Source, file_key: str) -> None:
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise HeaderMismatchError(
            file_key,
            f"header of a {source.name} file names column(s) {', '.join(duplicates)} more than "
            "once; fix the producer, then rerun the interval.",
        )
