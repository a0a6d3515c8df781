"""Independent checks of generated landing files (no generator code is reused to check).

Each function classifies what is wrong with one physical line the way a careful reader of
the contract would, so the tests can compare that with the generator's manifest.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date, datetime
from decimal import Decimal

from dataflow import contracts
from dataflow.generate import GenerationConfig, MemorySink, generate_into

_RUNS: dict[GenerationConfig, tuple] = {}


def run_in_memory(config: GenerationConfig):
    """``(manifest, files)`` of ``config`` generated into a :class:`MemorySink` (cached)."""
    if config not in _RUNS:
        sink = MemorySink()
        _RUNS[config] = (generate_into(sink, config, progress=False), sink.files)
    return _RUNS[config]


TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]+$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def parse_timestamp(text: str) -> datetime:
    if not TIMESTAMP_RE.match(text):
        raise ValueError(text)
    return datetime.fromisoformat(text)


def parse_date(text: str) -> date:
    if not DATE_RE.match(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def parse_money(text: str) -> Decimal:
    if not re.match(r"^-?\d+\.\d{2}$", text):
        raise ValueError(text)
    return Decimal(text)


PARSERS = {
    contracts.INT: int,
    contracts.NUMERIC: parse_money,
    contracts.DATE: parse_date,
    contracts.TIMESTAMP: parse_timestamp,
    contracts.TEXT: str,
}


def physical_lines(data: bytes) -> list[bytes]:
    """The file's lines (no trailing empty one); line n is ``lines[n - 1]``."""
    assert data.endswith(b"\n"), "every file ends with a newline"
    return data[:-1].split(b"\n")


def csv_fields(line: str) -> list[str]:
    return next(csv.reader([line]))


def typed_csv_row(source: str, fields: list[str]) -> dict:
    """Values of a CSV row parsed with the contract types; raises ValueError if one fails."""
    columns = contracts.SOURCES[source].columns
    row = {}
    for column, text in zip(columns, fields, strict=True):
        if text == "":
            if column.required:
                raise ValueError(f"{column.name} is required")
            row[column.name] = None
            continue
        row[column.name] = PARSERS[column.pg_type](text)
    return row


def typed_event(line: str) -> dict:
    """A parsed event; raises ValueError on a wrong type (JSON errors propagate as such)."""
    event = json.loads(line)
    if not isinstance(event["customer_id"], int):
        raise ValueError("customer_id is not an integer")
    parse_timestamp(event["occurred_at"])
    if not UUID_RE.match(event["event_id"]):
        raise ValueError("event_id is not a uuid")
    return event


def classify_file(source: str, data: bytes, known_customers: set[int]) -> dict[str, list[int]]:
    """Defect kind → 1-based physical line numbers, found by parsing ``data`` independently."""
    found: dict[str, list[int]] = {}
    seen: set = set()
    is_csv = contracts.SOURCES[source].file_format == "csv"
    lines = physical_lines(data)
    if is_csv:
        assert lines[0].decode() == ",".join(contracts.SOURCES[source].column_names)
    for number, raw in enumerate(lines[1:] if is_csv else lines, start=2 if is_csv else 1):
        kind, key = _classify_line(source, raw, is_csv, known_customers)
        if kind is None and key in seen:
            kind = "duplicate_key"
        seen.add(key)
        if kind is not None:
            found.setdefault(kind, []).append(number)
    return found


def _classify_line(source, raw: bytes, is_csv: bool, known_customers):
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "bad_encoding", None
    if not is_csv:
        return _classify_event(line)
    fields = csv_fields(line)
    if len(fields) != len(contracts.SOURCES[source].columns):
        return "malformed_row", None
    try:
        row = typed_csv_row(source, fields)
    except ValueError:
        return "wrong_type", None
    return _business_defect(source, row, known_customers), row[contracts.SOURCES[source].key]


def _classify_event(line: str):
    try:
        event = typed_event(line)
    except json.JSONDecodeError:
        return "malformed_row", None
    except ValueError:
        return "wrong_type", None
    return None, event["event_id"]


def _business_defect(source: str, row: dict, known_customers: set[int]) -> str | None:
    if source == "customers":
        if not EMAIL_RE.match(row["email"] or ""):
            return "invalid_email"
        if row["customer_segment"] is None:
            return "empty_segment"
    if source == "transactions":
        if row["transaction_amount"] <= 0:
            return "non_positive_amount"
        if row["customer_id"] not in known_customers:
            return "unknown_customer"
    return None


def customer_ids(files: dict[str, bytes]) -> set[int]:
    """Every customer id that appears in a customers file (first field of any line)."""
    ids = set()
    for key, data in files.items():
        if key.startswith("landing/customers/"):
            for raw in physical_lines(data)[1:]:
                first = raw.split(b",", 1)[0]
                if first.isdigit():
                    ids.add(int(first))
    return ids
