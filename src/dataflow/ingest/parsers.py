"""Pure value parsing and validation against the landing contract.

Every validator takes the text of one field and returns the text to hand to Postgres, or
raises :class:`ValueError` whose message names the kind of problem (``invalid integer``);
the caller adds the column name and the value to build the quarantine reason. The rules are
deliberately a little *stricter* than Postgres' input functions: a value accepted here must
never abort a ``COPY`` (which would fail the whole interval), while a value rejected here
only costs one quarantined row with a clear reason.

``FAST_PATTERNS`` are regular-expression fragments that accept only values that are valid
for sure (e.g. day of month <= 28). The loader matches whole lines against them in C and
sends the lines that match straight to ``COPY``; everything else takes the precise path below.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dataflow.contracts import DATE, INT, NUMERIC, TEXT, TIMESTAMP

UUID = "uuid"
JSONB = "jsonb"

INT8_MIN = -(2**63)
INT8_MAX = 2**63 - 1
NUMERIC_LIMIT = Decimal(10) ** 12  # numeric(14,2): at most 12 digits before the point
CENT = Decimal("0.01")
REPR_LIMIT = 80

_INT_RE = re.compile(r"[+-]?\d+", re.ASCII)
_NUMERIC_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?", re.ASCII)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TIMESTAMP_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?"
    r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)
_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}", re.ASCII
)

# --- fast, conservative patterns (no capture groups; unquoted CSV fields only) -------------
_FAST_DATE = r"[1-9]\d{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])"
_FAST_TIME = r"[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?"
_FAST_ZONE = r"(?:Z|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?)?"
FAST_PATTERNS = {
    INT: r"-?\d{1,18}",
    NUMERIC: r"-?\d{1,12}(?:\.\d{1,2})?",
    DATE: _FAST_DATE,
    TIMESTAMP: _FAST_DATE + r"(?:" + _FAST_TIME + r")?" + _FAST_ZONE,
    UUID: r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    TEXT: r"[^,\"\r\n\x00]+",
}
FAST_ANY_FIELD = r"[^,\"\r\n]*"


def shorten(value: str) -> str:
    """``repr`` of ``value``, cut to a readable length for a quarantine reason."""
    if len(value) > REPR_LIMIT:
        return repr(value[:REPR_LIMIT]) + "..."
    return repr(value)


def parse_int(value: str) -> str:
    """A bigint in plain decimal notation."""
    text = value.strip()
    if not _INT_RE.fullmatch(text):
        raise ValueError("invalid integer")
    if not INT8_MIN <= int(text) <= INT8_MAX:
        raise ValueError("integer out of range")
    return text


def parse_numeric(value: str) -> str:
    """A numeric(14,2): Postgres rounds to 2 decimals, so the rounded value must fit."""
    text = value.strip()
    if not _NUMERIC_RE.fullmatch(text):
        raise ValueError("invalid numeric")
    try:
        rounded = Decimal(text).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError("numeric out of range") from exc
    if abs(rounded) >= NUMERIC_LIMIT:
        raise ValueError("numeric out of range")
    return text


def parse_date(value: str) -> str:
    """An ISO-8601 calendar date ``YYYY-MM-DD``."""
    text = value.strip()
    if not _DATE_RE.fullmatch(text):
        raise ValueError("invalid date")
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("invalid date") from exc
    return text


def parse_timestamp(value: str) -> str:
    """An ISO-8601 timestamp; without an offset it is UTC (the load session runs in UTC)."""
    text = value.strip()
    if not _TIMESTAMP_RE.fullmatch(text):
        raise ValueError("invalid timestamp")
    try:
        datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise ValueError("invalid timestamp") from exc
    return text


def parse_uuid(value: str) -> str:
    """A UUID (hex, with or without hyphens)."""
    text = value.strip()
    if not _UUID_RE.fullmatch(text):
        raise ValueError("invalid uuid")
    return text


def parse_text(value: str) -> str:
    """Any text Postgres can store, i.e. without NUL characters."""
    if "\x00" in value:
        raise ValueError("NUL character")
    return value


VALIDATORS = {
    INT: parse_int,
    NUMERIC: parse_numeric,
    DATE: parse_date,
    TIMESTAMP: parse_timestamp,
    UUID: parse_uuid,
    TEXT: parse_text,
}


def validator_for(pg_type: str):
    """The validator of a contract type; a type without one is a contract error."""
    try:
        return VALIDATORS[pg_type]
    except KeyError:
        raise ValueError(f"no validator for contract type {pg_type!r}") from None


def fast_pattern(pg_type: str, required: bool) -> str:
    """Regex fragment accepting only certainly-valid unquoted values of ``pg_type``."""
    pattern = FAST_PATTERNS[pg_type]
    return pattern if required else f"(?:{pattern})?"


def csv_field(value: str | None) -> str:
    """``value`` as a Postgres CSV field: empty/None is NULL, quoting only where needed."""
    if not value:
        return ""
    if '"' in value or "," in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_quoted(value: str) -> str:
    """``value`` as an always-quoted CSV field (so that an empty string is not NULL)."""
    return '"' + value.replace('"', '""') + '"'
