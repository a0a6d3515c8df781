"""Row encoders: blocks of landing-file lines -> ``COPY ... (FORMAT csv)`` text + quarantine.

Pure (no database, no S3), so the unit tests drive them directly. Each valid row becomes one
CSV line of its contract columns followed by the lineage columns
``_source_line, _source_file, _loaded_at, _interval_start`` (see :data:`LINEAGE_COPY_COLUMNS`);
each invalid row is handed to the ``quarantine`` callback with its line number, raw text
and reason. ``received == loaded + quarantined`` holds by construction: every non-blank
record increments ``received`` and exactly one of the other two.

CSV fast path: a whole line is matched against one compiled regex built from the header
(``parsers.FAST_PATTERNS``); lines that match are valid for sure and go to ``COPY``
unchanged with the lineage appended (formatted by ``map(str.format, ...)`` in C). Only
lines that do not match (bad values, quoted fields, edge-case dates...) are parsed with
the ``csv`` module and validated field by field, which also yields the precise reason.

Records spanning lines: a line opens a multi-line record only if it ends inside a quoted
field that began at a field start (as the ``csv`` module reads it). The following lines are
joined until the quotes balance, and the joined text is taken as one record only if it is
a *valid* record (strict CSV, right field count, every value valid). Otherwise only the
opening line is quarantined (``unclosed quoted field``) and the lines after it are read
again as records of their own: a stray quote costs its own row, never the rows after it.

``rejected`` maps line numbers to reasons for records that Postgres refused in an earlier
attempt (see ``loader``): they are quarantined with that reason instead of sent again.
:class:`SentLines` records which source lines went to ``COPY``, so the loader can tell
which rows a ``COPY`` skipped or rejected.
"""

from __future__ import annotations

import csv
import json
import re
from array import array
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate

from dataflow.contracts import Source
from dataflow.ingest.header import CsvLayout
from dataflow.ingest.parsers import (
    FAST_ANY_FIELD,
    JSONB,
    check_json_number,
    csv_field,
    fast_pattern,
    shorten,
    validator_for,
)
from dataflow.ingest.stream import LineBlock

LINEAGE_COPY_COLUMNS = ("_source_line", "_source_file", "_loaded_at", "_interval_start")
MAX_RECORD_LINES = 1000  # a quoted field spanning more lines is taken as an unclosed quote
MAX_RECORD_CHARS = 4 << 20  # likewise for a multi-line record longer than this
MAX_JSON_DEPTH = 512  # below both Python's recursion limit and Postgres' stack depth limit
UNCLOSED_QUOTE = "unclosed quoted field: the quote opened on this line does not close"
BLANK = " \t"

# A line that ends inside a quoted field opened at a field start, read as the csv module
# reads it (quotes inside an unquoted field are literal): complete fields, then an open one.
_OPENS_QUOTED_FIELD = re.compile(r'(?:(?:"(?:[^"]|"")*"|[^",][^,]*)?,)*"(?:[^"]|"")*', re.DOTALL)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_DEPTH_STEP = str.maketrans({"[": "1", "{": "1", "]": "2", "}": "2"})


@dataclass(frozen=True)
class QuarantinedRow:
    """One rejected record: where it was, what it said, and why it was rejected."""

    line_number: int
    raw_text: str
    reason: str


QuarantineSink = Callable[[QuarantinedRow], None]


class RowRejected(ValueError):
    """A record failed row-level validation; the message is the quarantine reason."""


def lineage_constant(file_key: str, interval_start: datetime) -> str:
    """CSV text of the lineage columns that are the same for every row of a file.

    Postgres parses these on every row, so they are written in the forms it parses fastest
    (measured: ~2x faster than full ISO-8601): ``_loaded_at`` is the special input ``now``,
    which *is* the transaction's start time (``now()``), the same for every row of the
    load; ``_interval_start`` is ``YYYY-MM-DD HH:MMZ`` when it is on a whole minute.
    """
    return f"{csv_field(file_key)},now,{timestamp_text(interval_start)}"


def timestamp_text(moment: datetime) -> str:
    """A UTC timestamp in the shortest form Postgres reads back exactly."""
    moment = moment.astimezone(UTC)
    if moment.second or moment.microsecond:
        return moment.isoformat()
    return f"{moment:%Y-%m-%d %H:%M}Z"


def validate_value(column, value: str | None) -> str | None:
    """Validated text of one field (``None`` = NULL), or :class:`RowRejected`."""
    if value is None or value == "":
        if column.required:
            raise RowRejected(f"missing required value: {column.name}")
        return None
    try:
        return validator_for(column.pg_type)(value)
    except ValueError as exc:
        raise RowRejected(f"{exc} in {column.name}: {shorten(value)}") from None


def validate_csv_fields(layout: CsvLayout, fields: list[str]) -> list[str | None]:
    """Contract values (file order, extra columns dropped) of one parsed CSV record."""
    if len(fields) != layout.field_count:
        raise RowRejected(f"wrong field count: expected {layout.field_count}, got {len(fields)}")
    return [validate_value(column, fields[i]) for i, column in layout.kept]


def split_csv_record(text: str) -> list[str]:
    """Fields of one CSV record (which may span lines inside quotes)."""
    try:
        return next(csv.reader([text], strict=True))
    except csv.Error as exc:
        raise RowRejected(f"malformed CSV: {exc}") from None


def opens_quoted_field(line: str) -> bool:
    """True when ``line`` ends inside a quoted field that began at a field start."""
    return _OPENS_QUOTED_FIELD.fullmatch(line) is not None


def is_blank(line: str) -> bool:
    """A line that is not a record: empty or only spaces and tabs."""
    return not line.strip(BLANK)


def fast_line_regex(layout: CsvLayout) -> re.Pattern[str]:
    """One regex for a whole certainly-valid unquoted line; groups = kept columns."""
    kept = dict(layout.kept)
    parts = []
    for index in range(layout.field_count):
        column = kept.get(index)
        if column is None:
            parts.append(f"(?:{FAST_ANY_FIELD})")
        elif layout.passthrough:
            parts.append(f"(?:{fast_pattern(column.pg_type, column.required)})")
        else:
            parts.append(f"({fast_pattern(column.pg_type, column.required)})")
    return re.compile(",".join(parts))


class SentLines:
    """Which source lines went to ``COPY``, in order, and on which ``COPY`` line each starts.

    Runs of consecutive single-line rows take one entry, so memory follows the number of
    breaks (quarantined or multi-line records), not the number of rows.
    """

    def __init__(self) -> None:
        self.first_lines = array("q")  # source line of the run's first row
        self.counts = array("q")  # rows in the run
        self.copy_lines = array("q")  # 0-based COPY line where the run starts
        self._multi = array("b")  # 1: a single row spanning several COPY lines
        self.rows = 0
        self.lines_written = 0

    def add_run(self, first_line: int, count: int) -> None:
        """``count`` single-line rows from source lines ``first_line`` on."""
        if (
            self.counts
            and not self._multi[-1]
            and self.first_lines[-1] + self.counts[-1] == first_line
        ):
            self.counts[-1] += count
        else:
            self._append(first_line, count, 0)
        self.rows += count
        self.lines_written += count

    def add_row(self, line_number: int, copy_lines: int) -> None:
        """One row from source line ``line_number`` taking ``copy_lines`` lines of COPY text."""
        if copy_lines == 1:
            self.add_run(line_number, 1)
            return
        self._append(line_number, 1, 1)
        self.rows += 1
        self.lines_written += copy_lines

    def _append(self, first_line: int, count: int, multi: int) -> None:
        self.first_lines.append(first_line)
        self.counts.append(count)
        self.copy_lines.append(self.lines_written)
        self._multi.append(multi)

    def source_line_of_copy_line(self, copy_line: int) -> int | None:
        """Source line of the row on 1-based ``COPY`` line ``copy_line`` (None: not sent)."""
        index = bisect_right(self.copy_lines, copy_line - 1) - 1
        if index < 0 or copy_line > self.lines_written:
            return None
        if self._multi[index]:
            return self.first_lines[index]
        offset = copy_line - 1 - self.copy_lines[index]
        return self.first_lines[index] + offset if offset < self.counts[index] else None

    def runs(self) -> tuple[list[int], list[int]]:
        """(first source line, row count) of every run, for a query."""
        return list(self.first_lines), list(self.counts)


class _Encoder:
    def __init__(
        self,
        lineage: str,
        quarantine: QuarantineSink,
        rejected: Mapping[int, str] | None = None,
    ):
        self.received = 0
        self.loaded = 0
        self.quarantined = 0
        self.rejected_by_postgres = 0
        self.rejected = rejected or {}
        self.sent = SentLines()
        self._lineage = lineage
        # "<row>,<line>,<lineage>\n"; braces in the S3 key must survive str.format
        self._line_format = "{},{}," + lineage.replace("{", "{{").replace("}", "}}") + "\n"
        self._sink = quarantine

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """File columns that are not in the contract (ignored)."""
        return ()

    def encode(self, block: LineBlock) -> str:
        """``COPY`` text of the valid records in ``block``; rejects go to quarantine."""
        return ""

    def finish(self) -> str:
        """``COPY`` text still owed at the end of the file."""
        return ""

    def _reject(self, line_number: int, raw_text: str, reason: str) -> None:
        self.quarantined += 1
        self._sink(QuarantinedRow(line_number, raw_text, reason))

    def _refused_earlier(self, line_number: int, raw_text: str) -> bool:
        """Quarantine a record Postgres refused in an earlier attempt; True if it was one."""
        reason = self.rejected.get(line_number)
        if reason is None:
            return False
        self.rejected_by_postgres += 1
        self._reject(line_number, raw_text, reason)
        return True

    def _row(self, values: list[str | None], line_number: int) -> str:
        self.loaded += 1
        row = f"{','.join(map(csv_field, values))},{line_number},{self._lineage}\n"
        self.sent.add_row(line_number, row.count("\n"))
        return row


@dataclass
class _PendingRecord:
    """A record that opened a quoted field and continues on the following lines."""

    line_number: int
    parts: list[str]
    quotes: int
    chars: int = 0
    problems: dict[int, str] = field(default_factory=dict)  # index in parts -> reason

    def add(self, line: str) -> None:
        self.parts.append(line)
        self.quotes += line.count('"')
        self.chars += len(line) + 1


class CsvRowEncoder(_Encoder):
    """Encode the data lines of one CSV file (header already checked into ``layout``)."""

    def __init__(
        self,
        layout: CsvLayout,
        lineage: str,
        quarantine: QuarantineSink,
        rejected: Mapping[int, str] | None = None,
    ):
        super().__init__(lineage, quarantine, rejected)
        self.layout = layout
        self._fast = fast_line_regex(layout).fullmatch
        self._pending: _PendingRecord | None = None

    @property
    def extra_columns(self) -> tuple[str, ...]:
        return self.layout.extra_columns

    def encode(self, block: LineBlock | None) -> str:
        """``COPY`` text of the valid records in ``block``; rejects go to quarantine."""
        out: list[str] = []
        while block is not None and block.lines:
            if self._pending is not None:
                block = self._continue_record(block, out)
            else:
                block = self._encode_lines(block, out)
        return "".join(out)

    def finish(self) -> str:
        """Flush the end of the file: a quoted field still open there costs its first line."""
        out: list[str] = []
        while self._pending is not None:
            pending, self._pending = self._pending, None
            out.append(self.encode(self._give_up(pending, LineBlock(0, []), 0)))
        return "".join(out)

    def _encode_lines(self, block: LineBlock, out: list[str]) -> LineBlock | None:
        """Encode ``block`` until a multi-line record opens; the lines after its opener."""
        lines, base, problems = block.lines, block.first_line_number, block.problems
        matches = list(map(self._fast, lines))
        for index in problems:
            matches[index] = None
        for line_number in self.rejected:
            if 0 <= line_number - base < len(lines):
                matches[line_number - base] = None
        index, end = 0, len(lines)
        while index < end:
            stop = _next_none(matches, index, end)
            if stop > index:
                out.append(self._format_fast(lines, matches, index, stop, base))
            if stop == end:
                return None
            index = stop + 1
            line, reason = lines[stop], problems.get(stop)
            if reason is None and is_blank(line):
                continue  # a blank line is not a record
            if reason is None and line.count('"') % 2 and opens_quoted_field(line):
                self._pending = _PendingRecord(base + stop, [line], line.count('"'), len(line))
                return _tail(block, index)
            self._record(base + stop, line, reason, out)
        return None

    def _continue_record(self, block: LineBlock, out: list[str]) -> LineBlock | None:
        """Feed lines to the open record until its quotes balance; what is left of ``block``."""
        pending = self._pending
        assert pending is not None
        for index, line in enumerate(block.lines):
            if index in block.problems:  # not valid UTF-8 / overlong: cannot be inside it
                self._pending = None
                return self._give_up(pending, block, index)
            pending.add(line)
            if pending.quotes % 2 == 0:
                self._pending = None
                if self._take_joined(pending, out):
                    return _tail(block, index + 1)
                return self._give_up(pending, block, index + 1)
            if len(pending.parts) >= MAX_RECORD_LINES or pending.chars > MAX_RECORD_CHARS:
                self._pending = None
                return self._give_up(pending, block, index + 1)
        return None

    def _take_joined(self, pending: _PendingRecord, out: list[str]) -> bool:
        """Emit the joined lines as one record if that makes a valid record."""
        text = "\n".join(pending.parts)
        try:
            values = validate_csv_fields(self.layout, split_csv_record(text))
        except RowRejected:
            return False
        self.received += 1
        if not self._refused_earlier(pending.line_number, text):
            out.append(self._row(values, pending.line_number))
        return True

    def _give_up(self, pending: _PendingRecord, block: LineBlock, index: int) -> LineBlock:
        """Quarantine the opening line alone; its followers, then ``block[index:]``, again."""
        self.received += 1
        self._reject(pending.line_number, pending.parts[0], UNCLOSED_QUOTE)
        followers = pending.parts[1:]
        shift = len(followers) - index
        problems = {i + shift: r for i, r in block.problems.items() if i >= index}
        return LineBlock(pending.line_number + 1, followers + block.lines[index:], problems)

    def _format_fast(self, lines, matches, start: int, stop: int, base: int) -> str:
        count = stop - start
        self.received += count
        self.loaded += count
        self.sent.add_run(base + start, count)
        numbers = range(base + start, base + stop)
        if self.layout.passthrough:
            return "".join(map(self._line_format.format, lines[start:stop], numbers))
        rows = [",".join(m.groups()) for m in matches[start:stop]]
        return "".join(map(self._line_format.format, rows, numbers))

    def _record(self, line_number: int, text: str, problem: str | None, out: list[str]) -> None:
        self.received += 1
        if problem:
            self._reject(line_number, text, problem)
            return
        if self._refused_earlier(line_number, text):
            return
        try:
            values = validate_csv_fields(self.layout, split_csv_record(text))
        except RowRejected as exc:
            self._reject(line_number, text, str(exc))
            return
        out.append(self._row(values, line_number))


def _tail(block: LineBlock, index: int) -> LineBlock | None:
    """``block`` from line ``index`` on (None when nothing is left)."""
    if index >= len(block.lines):
        return None
    problems = {i - index: r for i, r in block.problems.items() if i >= index}
    return LineBlock(block.first_line_number + index, block.lines[index:], problems)


def _next_none(matches: list, start: int, end: int) -> int:
    try:
        return matches.index(None, start, end)
    except ValueError:
        return end


def _reject_json_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def json_depth(line: str) -> int:
    """Deepest nesting of arrays/objects in a JSON text (strings ignored)."""
    steps = _JSON_STRING.sub("", line).translate(_DEPTH_STEP)
    return max(accumulate((1 if c == "1" else -1 for c in steps if c in "12"), initial=0))


def parse_json_object(line: str) -> dict:
    """The JSON object on one line, as Postgres ``jsonb`` would accept it."""
    if line.count("[") + line.count("{") > MAX_JSON_DEPTH and json_depth(line) > MAX_JSON_DEPTH:
        raise RowRejected(f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        value = json.loads(
            line, parse_constant=_reject_json_constant, parse_float=check_json_number
        )
    except RecursionError:
        raise RowRejected("invalid JSON: nested too deeply") from None
    except ValueError as exc:
        raise RowRejected(f"invalid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise RowRejected(f"invalid JSON: expected an object, got {type(value).__name__}")
    if "\\u" in line and _has_unstorable_text(value):
        raise RowRejected("invalid JSON: \\u0000 or an unpaired surrogate (not storable in jsonb)")
    return value


def _has_unstorable_text(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value or not value.isascii() and _has_surrogate(value)
    if isinstance(value, dict):
        return any(_has_unstorable_text(k) or _has_unstorable_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_unstorable_text(v) for v in value)
    return False


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_field_text(column, value) -> str | None:
    """Text of a scalar JSON field for ``COPY``; JSON types must match the column type."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    kind = "integer" if column.pg_type == "bigint" else column.pg_type
    raise RowRejected(f"invalid {kind} in {column.name}: {shorten(json.dumps(value))}")


def validate_event_object(source: Source, obj: dict, line: str) -> list[str | None]:
    """Contract values of one JSON-lines record; a ``jsonb`` column gets the whole line."""
    values: list[str | None] = []
    for column in source.columns:
        if column.pg_type == JSONB:
            values.append(line)
            continue
        if column.name not in obj:
            raise RowRejected(f"missing required key: {column.name}")
        values.append(validate_value(column, json_field_text(column, obj[column.name])))
    return values


class JsonlRowEncoder(_Encoder):
    """Encode the lines of one JSON-lines file (one object per line, no header)."""

    def __init__(
        self,
        source: Source,
        lineage: str,
        quarantine: QuarantineSink,
        rejected: Mapping[int, str] | None = None,
    ):
        super().__init__(lineage, quarantine, rejected)
        self.source = source
        self.copy_columns = source.column_names

    def encode(self, block: LineBlock) -> str:
        """``COPY`` text of the valid records in ``block``; rejects go to quarantine."""
        out: list[str] = []
        base = block.first_line_number
        if base == 1 and block.lines:
            block.lines[0] = block.lines[0].removeprefix("\ufeff")  # a UTF-8 BOM
        for index, line in enumerate(block.lines):
            reason = block.problems.get(index)
            if reason is None and is_blank(line):
                continue
            self.received += 1
            if reason:
                self._reject(base + index, line, reason)
                continue
            if self._refused_earlier(base + index, line):
                continue
            try:
                obj = parse_json_object(line)
                values = validate_event_object(self.source, obj, line)
            except RowRejected as exc:
                self._reject(base + index, line, str(exc))
                continue
            out.append(self._row(values, base + index))
        return "".join(out)


class EmptyFileEncoder(_Encoder):
    """A file without even a header line: no rows."""
