"""Deterministic defect injection: which rows of a file go bad, and how.

A plan picks ``rate × rows`` row positions of one (source, hour) stream up front, so the hot
loop only does a dict lookup per row. Bad bytes are carried as lone surrogates
(``'\\udce9'``) and become invalid UTF-8 when the writer encodes with ``surrogateescape``.
"""

from __future__ import annotations

import random

from dataflow import contracts

INVALID_EMAIL = "invalid_email"
EMPTY_SEGMENT = "empty_segment"
NON_POSITIVE_AMOUNT = "non_positive_amount"
UNKNOWN_CUSTOMER = "unknown_customer"
DUPLICATE_KEY = "duplicate_key"
MALFORMED_ROW = "malformed_row"
WRONG_TYPE = "wrong_type"
BAD_ENCODING = "bad_encoding"

DEFECT_KINDS = (
    INVALID_EMAIL,
    EMPTY_SEGMENT,
    NON_POSITIVE_AMOUNT,
    UNKNOWN_CUSTOMER,
    DUPLICATE_KEY,
    MALFORMED_ROW,
    WRONG_TYPE,
    BAD_ENCODING,
)
_COMMON = (DUPLICATE_KEY, MALFORMED_ROW, WRONG_TYPE, BAD_ENCODING)
KINDS_BY_SOURCE: dict[str, tuple[str, ...]] = {
    "customers": (INVALID_EMAIL, EMPTY_SEGMENT, *_COMMON),
    "products": _COMMON,
    "transactions": (NON_POSITIVE_AMOUNT, UNKNOWN_CUSTOMER, *_COMMON),
    "events": _COMMON,
}
# Invalid UTF-8 is kept rare: one such byte makes a whole file unreadable to naive readers.
_KIND_WEIGHT = {BAD_ENCODING: 0.25}

# Customer ids at or above this never exist (real ids count up from 1).
UNKNOWN_CUSTOMER_ID_BASE = 900_000_000
NOT_A_DATE = "not-a-date"
NOT_A_NUMBER = "abc"
BAD_BYTE = "\udce9"  # encodes to the lone byte 0xE9 (Latin-1 'é'), invalid UTF-8


def plan_defects(rng: random.Random, source: str, rows: int, rate: float) -> dict[int, str]:
    """Row positions (0-based, of clean rows) → defect kind; about ``rate × rows`` entries."""
    expected = rows * rate
    count = int(expected) + (rng.random() < expected - int(expected))
    if count == 0:
        return {}
    kinds = KINDS_BY_SOURCE[source]
    weights = [_KIND_WEIGHT.get(k, 1.0) for k in kinds]
    positions = rng.sample(range(rows), min(count, rows))
    return dict(zip(positions, rng.choices(kinds, weights=weights, k=len(positions)), strict=True))


def _column(source: str, name: str) -> int:
    return contracts.SOURCES[source].column_names.index(name)


def break_row(source: str, kind: str, row: list[str], rng: random.Random) -> list[str]:
    """A damaged copy of ``row`` (fields) for every kind but duplicates (the writer repeats)."""
    row = list(row)
    if source == "events":
        return _break_event(kind, row, rng)
    if kind == MALFORMED_ROW:
        return row + ["unexpected"] if rng.random() < 0.5 else row[:-1]
    if kind == INVALID_EMAIL:
        local, _, domain = row[1].partition("@")
        row[1] = rng.choice((f"{local}.{domain}", f"{local}@", f"{local}@@{domain}"))
    elif kind == EMPTY_SEGMENT:
        row[_column(source, "customer_segment")] = ""
    elif kind == NON_POSITIVE_AMOUNT:
        i = _column(source, "transaction_amount")
        row[i] = "0.00" if rng.random() < 0.5 else "-" + row[i]
    elif kind == UNKNOWN_CUSTOMER:
        row[1] = str(UNKNOWN_CUSTOMER_ID_BASE + rng.randrange(100_000_000))
    elif kind == WRONG_TYPE:
        column, value = rng.choice(_WRONG_TYPES[source])
        row[_column(source, column)] = value
    elif kind == BAD_ENCODING:
        i = _BAD_ENCODING_COLUMN[source]
        row[i] = row[i] + BAD_BYTE
    return row


_WRONG_TYPES: dict[str, tuple[tuple[str, str], ...]] = {
    "customers": (("registration_date", NOT_A_DATE), ("last_login_at", "yesterday")),
    "products": (("unit_price", NOT_A_NUMBER), ("updated_at", NOT_A_DATE)),
    "transactions": (("quantity", NOT_A_NUMBER), ("transaction_at", NOT_A_DATE)),
}
_BAD_ENCODING_COLUMN = {"customers": 2, "products": 1, "transactions": 6}  # a text column


def _break_event(kind: str, row: list[str], rng: random.Random) -> list[str]:
    if kind == MALFORMED_ROW:  # a key without a value: never valid JSON
        return row + ['"unexpected"']
    if kind == WRONG_TYPE:
        if rng.random() < 0.5:
            row[2] = f'"customer_id":"{NOT_A_NUMBER}"'
        else:
            row[3] = f'"occurred_at":"{NOT_A_DATE}"'
    elif kind == BAD_ENCODING:
        row[1] = row[1][:-1] + BAD_BYTE + '"'
    return row
