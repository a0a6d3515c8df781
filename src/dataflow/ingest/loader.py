"""Load one (source, interval) of landing files from S3 into ``raw.<source>``.

One transaction per (source, interval), under an advisory lock on that pair:
delete the interval's raw, quarantine and audit rows, stream every file through
``COPY ... FROM STDIN``, write its quarantine and audit rows, commit. A rerun therefore
replaces exactly that interval, and any failure (bad header, S3 or connection error) rolls
everything back to the state before the run.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain

from dataflow.aws import s3_client
from dataflow.contracts import SOURCES, Source, landing_prefix
from dataflow.ingest.header import HeaderMismatchError, parse_header
from dataflow.ingest.parsers import csv_quoted
from dataflow.ingest.pgcopy import background_writer
from dataflow.ingest.results import FileLoadResult, LoadResult
from dataflow.ingest.rows import (
    LINEAGE_COPY_COLUMNS,
    CsvRowEncoder,
    EmptyFileEncoder,
    JsonlRowEncoder,
    QuarantinedRow,
    lineage_constant,
)
from dataflow.ingest.stream import CHUNK_BYTES, LineBlock, iter_line_blocks
from dataflow.settings import Settings

log = logging.getLogger(__name__)

APPLICATION_NAME = "dataflow-ingest"
LOCK_NAMESPACE = 724902  # first key of pg_advisory_xact_lock(int, int) for interval loads
QUARANTINE_SPOOL_BYTES = 8 << 20
QUARANTINE_COLUMNS = (
    "run_id",
    "source",
    "source_file",
    "interval_start",
    "line_number",
    "raw_text",
    "reason",
)


@dataclass(frozen=True)
class _Load:
    """What every file of one interval load shares."""

    bucket: str
    source: Source
    interval_start: datetime
    run_id: str | None


def load_interval(
    settings: Settings,
    source: str,
    interval_start: datetime,
    interval_end: datetime,
    run_id: str | None = None,
) -> LoadResult:
    """Load every landing file of ``source`` in ``[interval_start, interval_end)``.

    Replaces the interval's earlier load atomically. Raises ``HeaderMismatchError`` when a
    file's header misses contract columns (nothing is loaded then); bad rows do not raise,
    they are quarantined in ``audit.quarantine`` and counted in ``audit.load_audit``.
    """
    contract = source_contract(source)
    start, end = normalise_interval(interval_start, interval_end)
    s3 = s3_client(settings)
    keys = list_interval_keys(s3, settings.landing_bucket, source, start, end)
    if not keys:
        log.warning("no %s landing files for [%s, %s)", source, start, end)
    with connect_warehouse(settings) as conn, conn.transaction():
        lock_interval(conn, source, start)
        delete_interval(conn, contract, start)
        load = _Load(settings.landing_bucket, contract, start, run_id)
        files = tuple(load_file(conn, s3, load, key) for key in keys)
    result = LoadResult(source, start, end, run_id, files)
    log.info(
        "loaded %s [%s, %s): %d file(s), %d received, %d loaded, %d quarantined",
        source, start, end, len(files),
        result.rows_received, result.rows_loaded, result.rows_quarantined,
    )  # fmt: skip
    return result


def source_contract(source: str) -> Source:
    """The contract of ``source``; an unknown name is a caller error."""
    try:
        return SOURCES[source]
    except KeyError:
        raise ValueError(f"unknown source {source!r}; expected one of {sorted(SOURCES)}") from None


def normalise_interval(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The interval in UTC (naive datetimes are taken as UTC); it must not be empty."""
    start, end = (_as_utc(start), _as_utc(end))
    if end <= start:
        raise ValueError(f"empty interval: start {start} is not before end {end}")
    return start, end


def _as_utc(moment: datetime) -> datetime:
    from dataflow.timeutil import to_utc

    return to_utc(moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment)


def interval_hours(start: datetime, end: datetime) -> Iterator[datetime]:
    """The UTC hours (landing folders) that start in ``[start, end)`` or contain ``start``."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        yield hour
        hour += timedelta(hours=1)


def list_interval_keys(s3, bucket: str, source: str, start: datetime, end: datetime):
    """Landing keys of ``source`` for every hour of the interval, hour by hour, sorted."""
    keys: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for hour in interval_hours(start, end):
        pages = paginator.paginate(Bucket=bucket, Prefix=landing_prefix(source, hour))
        keys.extend(sorted(obj["Key"] for page in pages for obj in page.get("Contents", [])))
    return keys


def connect_warehouse(settings: Settings):
    """An autocommit connection (transactions are explicit) whose session runs in UTC."""
    import psycopg

    return psycopg.connect(
        settings.warehouse_url,
        autocommit=True,
        application_name=APPLICATION_NAME,
        options="-c TimeZone=UTC",
    )


def lock_interval(conn, source: str, interval_start: datetime) -> None:
    """Serialise concurrent loads of the same (source, interval) until commit/rollback."""
    conn.execute(
        "select pg_advisory_xact_lock(%s, hashtext(%s))",
        (LOCK_NAMESPACE, f"{source}|{interval_start.isoformat()}"),
    )


def delete_interval(conn, source: Source, interval_start: datetime) -> None:
    """Remove what an earlier load of this interval wrote (raw rows, quarantine, audit)."""
    from psycopg import sql

    table = sql.Identifier("raw", source.name)
    conn.execute(
        sql.SQL("delete from {} where _interval_start = %s").format(table), (interval_start,)
    )
    for audit_table in ("quarantine", "load_audit"):
        conn.execute(
            sql.SQL("delete from {} where source = %s and interval_start = %s").format(
                sql.Identifier("audit", audit_table)
            ),
            (source.name, interval_start),
        )


def load_file(conn, s3, load: _Load, key: str) -> FileLoadResult:
    """Stream one landing file into ``raw.<source>`` and write its quarantine + audit rows."""
    started_at = datetime.now(UTC)
    body = s3.get_object(Bucket=load.bucket, Key=key)["Body"]
    spool = QuarantineSpool(load, key)
    try:
        blocks = iter_line_blocks(body.iter_chunks(CHUNK_BYTES))
        encoder, columns, blocks = open_encoder(load, key, blocks, spool.add)
        with conn.cursor() as cur:
            copy_rows(cur, load.source, columns, encoder, blocks)
            spool.copy_into(cur)
    finally:
        body.close()
        spool.close()
    result = FileLoadResult(
        key, encoder.received, encoder.loaded, encoder.quarantined, encoder.extra_columns
    )
    write_load_audit(conn, load, result, started_at)
    return result


def open_encoder(load: _Load, key: str, blocks: Iterator[LineBlock], quarantine):
    """The row encoder of one file, its ``COPY`` columns and the data blocks to feed it."""
    lineage = lineage_constant(key, load.interval_start)
    if load.source.file_format == "jsonl":
        encoder = JsonlRowEncoder(load.source, lineage, quarantine)
        return encoder, encoder.copy_columns, blocks
    first = next(blocks, None)
    if first is None:
        log.warning("%s is empty (no header): loading no rows from it", key)
        encoder = EmptyFileEncoder(lineage, quarantine)
        return encoder, load.source.column_names, iter(())
    if 0 in first.bad_utf8:
        raise HeaderMismatchError(key, f"header is not valid UTF-8 ({first.bad_utf8[0]})")
    layout = parse_header(first.lines[0], load.source, key)
    if layout.extra_columns:
        log.warning("%s: ignoring extra column(s) %s", key, ", ".join(layout.extra_columns))
    encoder = CsvRowEncoder(layout, lineage, quarantine)
    return encoder, layout.copy_columns, chain([first.without_first_line()], blocks)


def copy_rows(cur, source: Source, columns, encoder, blocks) -> None:
    """Feed the encoded blocks to ``COPY raw.<source> (...) FROM STDIN (FORMAT csv)``."""
    from psycopg import sql

    statement = sql.SQL("copy {} ({}) from stdin (format csv)").format(
        sql.Identifier("raw", source.name),
        sql.SQL(", ").join(map(sql.Identifier, (*columns, *LINEAGE_COPY_COLUMNS))),
    )
    with cur.copy(statement, writer=background_writer(cur)) as copy:
        for block in blocks:
            data = encoder.encode(block)
            if data:
                copy.write(data)
        tail = encoder.finish()
        if tail:
            copy.write(tail)


class QuarantineSpool:
    """Rejected rows of one file, spooled to disk past a few MB so memory stays flat.

    They cannot be written while the file's ``COPY`` is running on the same connection (and
    must be in the same transaction), so they are copied in right after it.
    """

    def __init__(self, load: _Load, key: str):
        self.count = 0
        run_id = csv_quoted(load.run_id) if load.run_id is not None else ""
        self._prefix = ",".join(
            (run_id, csv_quoted(load.source.name), csv_quoted(key), load.interval_start.isoformat())
        )
        self._file = tempfile.SpooledTemporaryFile(
            max_size=QUARANTINE_SPOOL_BYTES, mode="w+", encoding="utf-8", newline=""
        )

    def add(self, row: QuarantinedRow) -> None:
        """Spool one rejected row (NUL, which Postgres text cannot hold, becomes U+FFFD)."""
        raw_text = row.raw_text.replace("\x00", "\ufffd")
        self._file.write(
            f"{self._prefix},{row.line_number},{csv_quoted(raw_text)},{csv_quoted(row.reason)}\n"
        )
        self.count += 1

    def copy_into(self, cur) -> None:
        """``COPY`` the spooled rows into ``audit.quarantine``."""
        if not self.count:
            return
        self._file.seek(0)
        columns = ", ".join(QUARANTINE_COLUMNS)
        with cur.copy(f"copy audit.quarantine ({columns}) from stdin (format csv)") as copy:
            while data := self._file.read(CHUNK_BYTES):
                copy.write(data)

    def close(self) -> None:
        self._file.close()


def write_load_audit(conn, load: _Load, result: FileLoadResult, started_at: datetime) -> None:
    """One ``audit.load_audit`` row per file (the table checks the reconciliation)."""
    conn.execute(
        "insert into audit.load_audit (run_id, source, source_file, interval_start,"
        " rows_received, rows_loaded, rows_quarantined, extra_columns, started_at)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            load.run_id,
            load.source.name,
            result.source_file,
            load.interval_start,
            result.rows_received,
            result.rows_loaded,
            result.rows_quarantined,
            list(result.extra_columns),
            started_at,
        ),
    )
