"""Pure value validation against the landing contract, by PostgreSQL 18's own rules.

Every validator takes the text of one field and returns the text to hand to ``COPY``, or
raises :class:`ValueError` whose message names the kind of problem (``invalid integer``);
the caller adds the column name and the value to build the quarantine reason.

The rules are Postgres' input functions (``int8in``, ``numeric_in`` with the column's
typmod, ``date_in``, ``timestamptz_in``, ``uuid_in``, ``jsonb_in``) restricted to the
unambiguous ISO forms a data contract means — never Python's: no ``int()``, ``Decimal``
context, ``datetime`` or ``json`` range decides what is valid. In particular:

- whitespace is what Postgres skips (ASCII space, ``\\t \\n \\r \\v \\f``), not Unicode's;
  digits are ASCII digits only;
- timestamps allow ``24:00[:00]`` (end of day) and a leap second ``:60``, offsets up to
  ``±15:59`` (Postgres' limit, not Python's 23:59), any number of fraction digits;
- ``numeric(14,2)`` rounds half away from zero to 2 decimals first, then must be < 10¹²;
- JSON numbers must fit Postgres' ``numeric`` (≤ 131072 digits before the point, ≤ 16383
  after), strings must not hold ``\\u0000`` or unpaired surrogates, nesting is capped.

Where the contract is deliberately *stricter* than Postgres, the value is rejected with a
reason (one quarantined row) instead of loaded with a surprising meaning: special values
(``now``, ``epoch``, ``infinity``, ``NaN``), BC / 5-digit years, named time zones, hex or
``_``-separated integers, non-ISO date orders. ``tests/integration/test_ingest_validation.py``
checks against the running server that whatever is accepted here, Postgres accepts too.

``FAST_PATTERNS`` are regular-expression fragments that accept only values that are valid
for sure (e.g. day of month <= 28). The loader matches whole lines against them in C and
sends the lines that match straight to ``COPY``; everything else takes the precise path below.
"""

from __future__ import annotations

import calendar
import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from dataflow.contracts import DATE, INT, NUMERIC, TEXT, TIMESTAMP

UUID = "uuid"
JSONB = "jsonb"

PG_SPACE = " \t\n\r\v\f"  # what Postgres' input functions skip (scanner_isspace)
INT8_MIN = -(2**63)
INT8_MAX = 2**63 - 1
NUMERIC_LIMIT = Decimal(10) ** 12  # numeric(14,2): |value rounded to cents| < 10^12
CENT = Decimal("0.01")
MAX_EXPONENT_DIGITS = 6  # Postgres allows up to ~10^9; the contract stops well before
MAX_OFFSET_HOURS = 15  # Postgres: "time zone displacement out of range" beyond 15:59:59
JSON_NUMERIC_MAX_INT_DIGITS = 131072  # NUMERIC_WEIGHT_MAX: digits before the decimal point
JSON_NUMERIC_MAX_SCALE = 16383  # NUMERIC_DSCALE_MAX: digits after it
REPR_LIMIT = 80

_DECIMAL = Context(prec=60, Emax=10**7, Emin=-(10**7))
_INT_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMERIC_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?([0-9]+))?", re.ASCII)
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_TIMESTAMP_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?)?"
    r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?",
    re.ASCII,
)
_UUID_RE = re.compile(r"[0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7}", re.ASCII)

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


def pg_strip(value: str) -> str:
    """``value`` without the leading/trailing whitespace Postgres' input functions skip."""
    return value.strip(PG_SPACE)


def parse_int(value: str) -> str:
    """A bigint in plain decimal notation (``int8in`` without hex/octal/binary or ``_``)."""
    text = pg_strip(value)
    if not _INT_RE.fullmatch(text):
        raise ValueError("invalid integer")
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > 19 or not INT8_MIN <= int(text) <= INT8_MAX:
        raise ValueError("integer out of range")
    return text


def parse_numeric(value: str) -> str:
    """A numeric(14,2): Postgres rounds half away from zero to cents, then checks < 10^12."""
    text = pg_strip(value)
    match = _NUMERIC_RE.fullmatch(text)
    if not match:
        raise ValueError("invalid numeric")
    if match.group(1) and len(match.group(1).lstrip("0")) > MAX_EXPONENT_DIGITS:
        raise ValueError("numeric out of range")
    number = Decimal(text)  # exact: no context rounding before Postgres' own
    if number and number.adjusted() > 12:
        raise ValueError("numeric out of range")
    try:
        rounded = number.quantize(CENT, rounding=ROUND_HALF_UP, context=_DECIMAL)
    except InvalidOperation as exc:  # pragma: no cover - prec 60 holds any accepted value
        raise ValueError("numeric out of range") from exc
    if abs(rounded) >= NUMERIC_LIMIT:
        raise ValueError("numeric out of range")
    return text


def _check_calendar_date(year: int, month: int, day: int, kind: str) -> None:
    if year < 1:
        raise ValueError(f"{kind} year out of range (0001-9999)")
    if not 1 <= month <= 12:
        raise ValueError(f"invalid {kind}")
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise ValueError(f"invalid {kind}")


def parse_date(value: str) -> str:
    """An ISO-8601 calendar date ``YYYY-MM-DD``, years 0001-9999."""
    text = pg_strip(value)
    match = _DATE_RE.fullmatch(text)
    if not match:
        raise ValueError("invalid date")
    _check_calendar_date(*map(int, match.groups()), "date")
    return text


def parse_timestamp(value: str) -> str:
    """An ISO-8601 timestamp as Postgres reads it; no offset = UTC (the load session's zone).

    ``YYYY-MM-DD[(T|t| )HH:MM[:SS[.fraction]]][Z|±HH[[:]MM]]``; hour 24 only as ``24:00[:00]``,
    second 60 (leap second, read as the next minute) only without a fraction, offset <= 15:59.
    """
    text = pg_strip(value)
    match = _TIMESTAMP_RE.fullmatch(text)
    if not match:
        raise ValueError("invalid timestamp")
    year, month, day, hour, minute, second, fraction, _, sign, off_h, off_m = match.groups()
    _check_calendar_date(int(year), int(month), int(day), "timestamp")
    if hour is not None:
        _check_clock(int(hour), int(minute), int(second or 0), fraction)
    if sign and (int(off_h) > MAX_OFFSET_HOURS or int(off_m or 0) > 59):
        raise ValueError("time zone offset out of range (Postgres allows up to ±15:59)")
    return text


def _check_clock(hour: int, minute: int, second: int, fraction: str | None) -> None:
    has_fraction = bool(fraction and fraction.strip("0"))
    if hour == 24:
        if minute or second or has_fraction:
            raise ValueError("invalid timestamp (24:00 must be exactly 24:00:00)")
        return
    if hour > 23 or minute > 59 or second > 60 or (second == 60 and has_fraction):
        raise ValueError("invalid timestamp")


def parse_uuid(value: str) -> str:
    """A UUID as ``uuid_in`` reads it: 32 hex digits, ``-`` after any group of 4, ``{}``."""
    text = value[1:-1] if value.startswith("{") and value.endswith("}") else value
    if not _UUID_RE.fullmatch(text):
        raise ValueError("invalid uuid")
    return value


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


def check_json_number(literal: str) -> float:
    """A JSON number literal with a fraction or exponent that Postgres' ``numeric`` can hold.

    Used as ``json.loads(parse_float=...)``: Python reads ``1e-20000`` as 0.0 and ``1e400``
    as inf, but ``jsonb`` stores the exact decimal and rejects what overflows ``numeric``.
    """
    _, digits, exponent = Decimal(literal).as_tuple()
    scale = max(0, -exponent)
    int_digits = len(digits) + exponent if any(digits) else 0
    if scale > JSON_NUMERIC_MAX_SCALE or int_digits > JSON_NUMERIC_MAX_INT_DIGITS:
        raise ValueError(f"number {shorten(literal)} overflows Postgres numeric")
    return float(literal)


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
