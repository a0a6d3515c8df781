"""Writes one (source, hour) line stream as landing files: parts, header, defects, manifest.

Lines are pulled in chunks of ``FLUSH_ROWS`` and written to the sink's file chunk by chunk,
so no file is ever held as a list of rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from dataflow import contracts
from dataflow.generate.defects import DUPLICATE_KEY, break_row
from dataflow.generate.manifest import FileEntry
from dataflow.generate.sinks import Sink

FLUSH_ROWS = 8_192


@dataclass(frozen=True)
class FileSpec:
    """One (source, landing hour) stream: ``rows`` clean rows, split every ``part_rows``."""

    source: str
    hour: datetime
    rows: int
    part_rows: int

    @property
    def is_csv(self) -> bool:
        return contracts.SOURCES[self.source].file_format == "csv"

    def keys(self) -> list[str]:
        """``<source>_<YYYYMMDDHH>.<ext>``, or ``..._part0001.<ext>`` when split."""
        stem = f"{self.source}_{self.hour:%Y%m%d%H}"
        ext = "csv" if self.is_csv else "jsonl"
        parts = max(1, -(-self.rows // self.part_rows))
        if parts == 1:
            names = [f"{stem}.{ext}"]
        else:
            names = [f"{stem}_part{n:04d}.{ext}" for n in range(1, parts + 1)]
        return [contracts.landing_key(self.source, self.hour, name) for name in names]


def write_stream(
    sink: Sink,
    spec: FileSpec,
    lines: Iterable[str],
    defects: dict[int, str],
    defect_rng: random.Random,
    on_rows: Callable[[int], object] = lambda n: None,
) -> list[FileEntry]:
    """Write ``lines`` (exactly ``spec.rows`` clean lines) with ``defects`` injected.

    ``defects`` maps 0-based positions in the clean stream to a defect kind.
    """
    lines = iter(lines)
    damaged = sorted(defects.items())
    entries, clean = [], 0
    for part, key in enumerate(spec.keys()):
        entry = FileEntry(key=key, source=spec.source, hour=spec.hour)
        first = part * spec.part_rows
        in_part = [d for d in damaged if first <= d[0] < first + spec.part_rows]
        with sink.open(key) as out:
            clean += _write_part(out, spec, entry, islice(lines, spec.part_rows), first, in_part,
                                 defect_rng, on_rows)  # fmt: skip
        entries.append(entry)
    if clean != spec.rows or next(lines, None) is not None:
        raise RuntimeError(f"{spec.source} stream for {spec.hour} did not yield {spec.rows} rows")
    return entries


def _write_part(out, spec, entry, lines, first, damaged, rng, on_rows) -> int:
    """Write one part; returns its clean rows. Chunks of lines are pulled at C speed and only
    the few damaged ones are touched."""
    header, start = (1 if spec.is_csv else 0), first
    if spec.is_csv:
        out.write((",".join(contracts.SOURCES[spec.source].column_names) + "\n").encode())
    written, cursor = header, 0  # physical lines so far; index into ``damaged``
    while chunk := list(islice(lines, FLUSH_ROWS)):
        end = first + len(chunk)
        mine = []
        while cursor < len(damaged) and damaged[cursor][0] < end:
            mine.append(damaged[cursor])
            cursor += 1
        _damage(chunk, first, mine, spec, entry, written, rng)
        out.write(("\n".join(chunk) + "\n").encode("utf-8", "surrogateescape"))
        written += len(chunk)
        on_rows(end - first)  # clean rows, as planned (duplicates are extra lines)
        first = end
    entry.rows = written - header
    return first - start


def _damage(chunk: list[str], first: int, damaged, spec, entry, written: int, rng) -> None:
    """Apply ``damaged`` (sorted (position, kind)) to ``chunk`` in place; record line numbers.

    Lone surrogates in damaged lines become invalid UTF-8 bytes when the chunk is encoded
    with ``surrogateescape``.
    """
    inserted = 0
    for position, kind in damaged:
        index = position - first + inserted
        if kind == DUPLICATE_KEY:
            chunk.insert(index + 1, chunk[index])
            inserted += 1
            index += 1
        else:
            chunk[index] = _render(
                spec, break_row(spec.source, kind, _fields(spec, chunk[index]), rng)
            )
        entry.record(kind, written + index + 1)


def _fields(spec: FileSpec, line: str) -> list[str]:
    return line.split(",") if spec.is_csv else line[1:-1].split(",")


def _render(spec: FileSpec, fields: list[str]) -> str:
    return ",".join(fields) if spec.is_csv else "{" + ",".join(fields) + "}"
