"""Load landing files from S3 into ``raw.<source>``, file by file, idempotently.

The unit of idempotency is the **file**: loading a file replaces exactly the rows that came
from it in ``raw.<source>``, ``audit.quarantine`` and ``audit.load_audit`` (deleted by source
file under an advisory lock on that file, in the same transaction as its ``COPY``), whichever
DAG run, interval width or offset, or micro-batch loads it. Its lineage hour
(``_interval_start``) is the landing hour in its key, not the run's interval. One call
(:func:`load_files`, or :func:`load_interval` on top of it) is one transaction: any failure —
a bad header, an unreadable file, S3 or connection errors — rolls every file of the call
back to its state before the call. Files that disappeared from S3 are not touched.

Rows: each file streams through ``COPY ... (FORMAT csv, ON_ERROR ignore, LOG_VERBOSITY
verbose)`` after the encoders in ``rows`` validated every value by Postgres' own rules. If
Postgres still refuses rows — skipped by ``ON_ERROR ignore``, or a hard error naming a
line — the file's attempt is rolled back to a savepoint and repeated with those rows
quarantined (reason: Postgres' message), so one bad row costs one row and never the
interval. See ``docs/ingest.md``.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain

from dataflow.aws import s3_client
from dataflow.contracts import SOURCES, Source, landing_prefix
from dataflow.ingest.errors import PostgresRefusedRows, UnreadableFileError
from dataflow.ingest.header import HeaderMismatchError, parse_header
from dataflow.ingest.keys import LandingFile, classify
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
from dataflow.ingest.s3object import S3Object
from dataflow.ingest.stream import (
    CHUNK_BYTES,
    LineBlock,
    UnreadableStreamError,
    gunzip_chunks,
    iter_line_blocks,
)
from dataflow.settings import Settings

log = logging.getLogger(__name__)

APPLICATION_NAME = "dataflow-ingest"
LOCK_NAMESPACE = 724902  # first key of pg_advisory_xact_lock(int, int) for file loads
QUARANTINE_SPOOL_BYTES = 8 << 20
MAX_COPY_ATTEMPTS = 5  # per file: 1 + one per hard COPY error (skipped rows take one in all)
QUARANTINE_COLUMNS = (
    "run_id",
    "source",
    "source_file",
    "interval_start",
    "line_number",
    "raw_text",
    "reason",
)
_COPY_CONTEXT_LINE = re.compile(r"^COPY [^,]+, \D*?(\d+)")


@dataclass
class _Load:
    """What every file of one call shares."""

    bucket: str
    source: Source
    run_id: str | None
    run_interval_start: datetime | None
    run_interval_end: datetime | None
    notices: list[str | None] = field(default_factory=list)  # NOTICEs of the running COPY


def load_interval(
    settings: Settings,
    source: str,
    interval_start: datetime,
    interval_end: datetime,
    run_id: str | None = None,
) -> LoadResult:
    """Load every landing file of ``source`` in the hours of ``[interval_start, interval_end)``.

    Each file replaces its own earlier load (see module docstring). Raises
    ``HeaderMismatchError`` / ``UnreadableFileError`` for a file that cannot be read as a
    whole (nothing is loaded then); bad rows do not raise, they are quarantined in
    ``audit.quarantine`` and counted in ``audit.load_audit``.
    """
    contract = source_contract(source)
    start, end = normalise_interval(interval_start, interval_end)
    s3 = s3_client(settings)
    keys = list_interval_keys(s3, settings.landing_bucket, source, start, end)
    if not keys:
        log.warning("no %s landing files for [%s, %s)", source, start, end)
    return _load(settings, s3, contract, keys, run_id, start, end)


def load_files(
    settings: Settings,
    source: str,
    keys: Iterable[str],
    run_id: str | None = None,
    run_interval_start: datetime | None = None,
    run_interval_end: datetime | None = None,
) -> LoadResult:
    """Load the given landing ``keys`` of ``source`` (e.g. files an event announced).

    Same quarantine, audit and per-file idempotency as :func:`load_interval`; the run
    interval (if any) is recorded in ``audit.load_audit.run_interval_*``. A key that is not
    ``landing/<source>/<YYYY-MM-DD>/<HH>/...`` raises ``LandingKeyError`` before anything
    is loaded; non-data objects (markers, temporary files) are skipped and audited. A key no
    longer in the bucket (deleted after it was announced) has nothing to load: it is left
    alone (an earlier load of it stays), logged, and listed in ``LoadResult.files_missing``.
    """
    contract = source_contract(source)
    start = _as_utc(run_interval_start) if run_interval_start is not None else None
    end = _as_utc(run_interval_end) if run_interval_end is not None else None
    if start is not None and end is not None and end <= start:
        raise ValueError(f"empty run interval: start {start} is not before end {end}")
    s3 = s3_client(settings)
    return _load(settings, s3, contract, list(keys), run_id, start, end, skip_missing=True)


def _load(
    settings, s3, contract: Source, keys, run_id, start, end, skip_missing=False
) -> LoadResult:
    # Sorted: concurrent calls lock shared files in the same order (no deadlock).
    files = [classify(key, contract) for key in sorted(set(keys))]
    missing = absent_keys(s3, settings.landing_bucket, files) if skip_missing else ()
    files = [f for f in files if f.key not in missing]
    load = _Load(settings.landing_bucket, contract, run_id, start, end)
    with connect_warehouse(settings) as conn, conn.transaction():
        # A notice's diagnostic is only valid inside the callback: keep its text.
        conn.add_notice_handler(lambda diag: load.notices.append(diag.message_primary))
        results = tuple(load_file(conn, s3, load, landing) for landing in files)
    result = LoadResult(contract.name, start, end, run_id, results, tuple(missing))
    log.info(
        "loaded %s [%s, %s): %d file(s) (%d skipped), %d received, %d loaded, %d quarantined",
        contract.name, start, end, len(results), result.files_skipped,
        result.rows_received, result.rows_loaded, result.rows_quarantined,
    )  # fmt: skip
    return result


def absent_keys(s3, bucket: str, files: list[LandingFile]) -> tuple[str, ...]:
    """The data files of ``files`` that are not in the bucket (each logged)."""
    from botocore.exceptions import ClientError

    absent = []
    for landing in (f for f in files if not f.skip_reason):
        try:
            s3.head_object(Bucket=bucket, Key=landing.key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
            log.warning(
                "s3://%s/%s is not in the bucket (deleted?): nothing to load", bucket, landing.key
            )
            absent.append(landing.key)
    return tuple(absent)


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
    """An autocommit connection (transactions are explicit) in UTC, on PostgreSQL 18."""
    import psycopg

    from dataflow.runtime.postgres import check_server

    conn = psycopg.connect(
        settings.warehouse_url,
        autocommit=True,
        application_name=APPLICATION_NAME,
        # NOTICEs carry the reasons of rows COPY skips; the server default may hide them.
        options="-c TimeZone=UTC -c client_min_messages=notice",
    )
    try:
        check_server(conn, "the warehouse")
    except Exception:
        conn.close()
        raise
    return conn


def lock_file(conn, source: str, key: str) -> None:
    """Serialise concurrent loads of the same file until commit/rollback."""
    conn.execute(
        "select pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_NAMESPACE, f"{source}|{key}")
    )


def delete_file(conn, source: Source, landing: LandingFile) -> None:
    """Remove what an earlier load of this file wrote (raw rows, quarantine, audit)."""
    from psycopg import sql

    conn.execute(
        sql.SQL("delete from {} where _interval_start = %s and _source_file = %s").format(
            sql.Identifier("raw", source.name)
        ),
        (landing.landing_hour, landing.key),
    )
    for audit_table in ("quarantine", "load_audit"):
        conn.execute(
            sql.SQL("delete from {} where source = %s and source_file = %s").format(
                sql.Identifier("audit", audit_table)
            ),
            (source.name, landing.key),
        )


def load_file(conn, s3, load: _Load, landing: LandingFile) -> FileLoadResult:
    """Replace one landing file's rows (or audit why it is skipped); its audit row."""
    started_at = datetime.now(UTC)
    lock_file(conn, load.source.name, landing.key)
    delete_file(conn, load.source, landing)
    if landing.skip_reason:
        log.info("skipping %s: %s", landing.key, landing.skip_reason)
        result = FileLoadResult.skipped(landing.key, landing.landing_hour, landing.skip_reason)
    else:
        result = copy_file(conn, s3, load, landing)
    write_load_audit(conn, load, result, started_at)
    return result


@dataclass
class _Attempt:
    """One pass of one file through ``COPY``; what the loader needs if Postgres refuses rows."""

    rejected: dict[int, str]
    etag: str | None = None
    encoder: object = None
    copied: int = 0


class _RowsRefused(Exception):
    """Postgres refused rows of an attempt: roll it back and quarantine them next time."""

    def __init__(self, refused: dict[int, str]):
        super().__init__(f"{len(refused)} row(s) refused")
        self.refused = refused


def copy_file(conn, s3, load: _Load, landing: LandingFile) -> FileLoadResult:
    """``COPY`` one file; rows Postgres refuses are quarantined and the file copied again."""
    rejected: dict[int, str] = {}
    etag = None
    for _ in range(MAX_COPY_ATTEMPTS):
        attempt = _Attempt(dict(rejected), etag)
        try:
            with conn.transaction():  # a savepoint: a refused attempt leaves nothing
                result = copy_attempt(conn, s3, load, landing, attempt)
                refused = skipped_rows(conn, load, landing, attempt)
                if refused:
                    raise _RowsRefused(refused)
                return result
        except _RowsRefused as exc:
            refused = exc.refused
        except Exception as exc:
            refused = hard_refusal(exc, attempt)
            if refused is None:
                raise
        log.warning(
            "%s: Postgres refused %d row(s) the validation accepted (lines %s); quarantining"
            " them and copying the file again",
            landing.key, len(refused), ", ".join(map(str, sorted(refused)[:10])),
        )  # fmt: skip
        rejected.update(refused)
        etag = attempt.etag
    raise PostgresRefusedRows(landing.key, rejected)


def copy_attempt(conn, s3, load: _Load, landing: LandingFile, attempt: _Attempt):
    """Stream the file through its encoder into ``COPY``, then its quarantined rows."""
    obj = S3Object(s3, load.bucket, landing.key, etag=attempt.etag)
    attempt.etag = obj.etag
    spool = QuarantineSpool(load, landing)
    try:
        chunks = obj.chunks(CHUNK_BYTES)
        if landing.gzip:
            chunks = gunzip_chunks(chunks)
        blocks = iter_line_blocks(chunks)
        encoder, columns, blocks = open_encoder(load, landing, blocks, spool.add, attempt)
        attempt.encoder = encoder
        load.notices.clear()
        with conn.cursor() as cur:
            attempt.copied = copy_rows(cur, load.source, columns, encoder, blocks)
            spool.copy_into(cur)
    except UnreadableStreamError as exc:
        raise UnreadableFileError(landing.key, str(exc)) from None
    finally:
        obj.close()
        spool.close()
    return FileLoadResult(
        landing.key,
        encoder.received,
        encoder.loaded,
        encoder.quarantined,
        encoder.extra_columns,
        interval_start=landing.landing_hour,
        rows_rejected_by_postgres=encoder.rejected_by_postgres,
        compression="gzip" if landing.gzip else None,
    )


def open_encoder(load: _Load, landing: LandingFile, blocks: Iterator[LineBlock], sink, attempt):
    """The row encoder of one file, its ``COPY`` columns and the data blocks to feed it."""
    key, rejected = landing.key, attempt.rejected
    lineage = lineage_constant(key, landing.landing_hour)
    if load.source.file_format == "jsonl":
        encoder = JsonlRowEncoder(load.source, lineage, sink, rejected)
        return encoder, encoder.copy_columns, blocks
    first = next(blocks, None)
    if first is None or not first.lines:
        log.warning("%s is empty (no header): loading no rows from it", key)
        encoder = EmptyFileEncoder(lineage, sink)
        return encoder, load.source.column_names, iter(())
    if 0 in first.problems:
        raise HeaderMismatchError(key, f"header cannot be read: {first.problems[0]}")
    layout = parse_header(first.lines[0], load.source, key)
    if layout.extra_columns:
        log.warning("%s: ignoring extra column(s) %s", key, ", ".join(layout.extra_columns))
    encoder = CsvRowEncoder(layout, lineage, sink, rejected)
    return encoder, layout.copy_columns, chain([first.without_first_line()], blocks)


def copy_rows(cur, source: Source, columns, encoder, blocks) -> int:
    """Feed the encoded blocks to ``COPY raw.<source> (...) FROM STDIN``; rows it stored."""
    from psycopg import sql

    statement = sql.SQL(
        "copy {} ({}) from stdin (format csv, on_error ignore, log_verbosity verbose)"
    ).format(
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
    return cur.rowcount


def skipped_rows(conn, load: _Load, landing: LandingFile, attempt: _Attempt) -> dict[int, str]:
    """Rows ``ON_ERROR ignore`` skipped (source line -> reason); empty when none were."""
    sent = attempt.encoder.sent
    if attempt.copied == sent.rows:
        return {}
    if attempt.copied > sent.rows:  # pragma: no cover - would be a bug in the encoders
        raise RuntimeError(f"{landing.key}: COPY stored {attempt.copied} rows of {sent.rows}")
    from psycopg import sql

    first_lines, counts = sent.runs()
    missing = conn.execute(
        sql.SQL(
            "select g.line from unnest(%s::bigint[], %s::bigint[]) as r(first_line, n)"
            " cross join lateral generate_series(r.first_line, r.first_line + r.n - 1) as g(line)"
            " except select _source_line from {} where _interval_start = %s"
            " and _source_file = %s order by 1"
        ).format(sql.Identifier("raw", load.source.name)),
        (first_lines, counts, landing.landing_hour, landing.key),
    ).fetchall()
    lines = [row[0] for row in missing]
    return dict(zip(lines, refusal_reasons(load.notices, len(lines)), strict=True))


def refusal_reasons(notices: list[str | None], count: int) -> list[str]:
    """One reason per skipped row, from the per-row NOTICEs when they all arrived."""
    # LOG_VERBOSITY verbose: one NOTICE per skipped row, in row order, then one summary.
    per_row = notices[:count]
    if len(notices) == count + 1 and all(per_row):
        return [f"refused by Postgres: {message}" for message in per_row]
    return ["refused by Postgres: a value its input function rejects (COPY ON_ERROR)"] * count


def hard_refusal(exc: BaseException, attempt: _Attempt) -> dict[int, str] | None:
    """The row a failed ``COPY`` names, if the error is about that row's data; else None."""
    import psycopg

    if not isinstance(exc, psycopg.Error) or attempt.encoder is None:
        return None
    sqlstate = exc.sqlstate or ""
    if not sqlstate.startswith(("22", "54")):  # data exception, program limit exceeded
        return None
    match = _COPY_CONTEXT_LINE.match(exc.diag.context or "")
    if not match:
        return None
    line = attempt.encoder.sent.source_line_of_copy_line(int(match.group(1)))
    if line is None:
        return None
    return {line: f"refused by Postgres: {exc.diag.message_primary} (SQLSTATE {sqlstate})"}


class QuarantineSpool:
    """Rejected rows of one file, spooled to disk past a few MB so memory stays flat.

    They cannot be written while the file's ``COPY`` is running on the same connection (and
    must be in the same transaction), so they are copied in right after it.
    """

    def __init__(self, load: _Load, landing: LandingFile):
        self.count = 0
        run_id = csv_quoted(load.run_id) if load.run_id is not None else ""
        self._prefix = ",".join(
            (
                run_id,
                csv_quoted(load.source.name),
                csv_quoted(landing.key),
                landing.landing_hour.isoformat(),
            )
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
        " rows_received, rows_loaded, rows_quarantined, extra_columns, started_at, finished_at,"
        " run_interval_start, run_interval_end, status, skip_reason, rows_rejected_by_postgres)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, clock_timestamp(), %s, %s, %s, %s, %s)",
        (
            load.run_id,
            load.source.name,
            result.source_file,
            result.interval_start,
            result.rows_received,
            result.rows_loaded,
            result.rows_quarantined,
            list(result.extra_columns),
            started_at,
            load.run_interval_start,
            load.run_interval_end,
            result.status,
            result.skip_reason,
            result.rows_rejected_by_postgres,
        ),
    )
