"""The loader's validators against the running Postgres: what they accept, Postgres accepts.

This is what makes "a value the loader accepted never makes COPY fail" structural rather
than a list of cases. Two sources of values per contract type, each judged by
``pg_input_is_valid`` (PostgreSQL 16+) in the form the loader would send it:

- a grid: every combination of edge components (years 0000/0001/9999/10000, day 29-32,
  24:00, :60, offsets ±15:59/±16:00, exponents, signs, whitespace Postgres skips or not,
  non-ASCII digits, braces, ...) — thousands of values, one query each;
- hypothesis: random real values in the forms producers write, with random edges.

The other direction (Postgres accepts, the contract is stricter) is allowed and documented
in ``dataflow.ingest.parsers``; a few values each side check that neither is vacuous.
"""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflow.contracts import DATE, INT, NUMERIC, TIMESTAMP
from dataflow.ingest.parsers import UUID, check_json_number, validator_for

pytestmark = pytest.mark.integration

PADS = ["", " ", "\t", "\n\v\f\r", "\u00a0", "\u2003"]
GRID_DATES = [
    f"{y}-{m}-{d}"
    for y, m, d in product(
        ["0000", "0001", "2023", "2024", "9999", "10000", "١٩٩٩"],
        ["00", "01", "02", "12", "13", "1"],
        ["00", "01", "28", "29", "30", "31", "32"],
    )
]
GRID_CLOCKS = [
    f"{h}:{m}{s}{f}"
    for h, m, s, f in product(
        ["00", "23", "24", "25", "1"],
        ["00", "59", "60"],
        ["", ":00", ":59", ":60", ":61"],
        ["", ".", ".0", ".000000000", ".5", ".9999995", ".1234567890"],
    )
]
GRID_OFFSETS = ["", "Z", "z", "UTC", " +01", "+00", "+1", "+0530", "-15:59", "+15:60", "+16"]
GRID_OFFSETS += ["-16:00", "+14:00:30", "+05:75", "+24:00", "+15::00"]


def grid_timestamps() -> list[str]:
    dates = ["2024-02-29", "2023-02-29", "0001-01-01", "9999-12-31", "0000-01-01", "2024-13-01"]
    values = [f"{d}{sep}{c}{o}" for d, sep, c, o in product(
        dates, ["T", " ", "t", "  "], GRID_CLOCKS, GRID_OFFSETS
    )]  # fmt: skip
    values += [f"{pad}{d}{pad}" for d, pad in product(GRID_DATES, PADS)]
    return values


GRID_NUMERICS = [
    f"{pad}{sign}{whole}{frac}{exp}{pad}"
    for pad, sign, whole, frac, exp in product(
        ["", " ", "\u00a0"],
        ["", "+", "-", "--"],
        ["", "0", "7", "999999999999", "1000000000000", "٣"],
        ["", ".", ".5", ".994", ".995", ".005", ".0049", ".9999999999999999999"],
        ["", "e2", "E-3", "e+12", "e11", "e-999999", "e999999", "e1000000", "e"],
    )
] + ["NaN", "nan", "Infinity", "-Infinity", "1_000", "0x1F", ".e1"]
GRID_INTEGERS = [
    f"{pad}{sign}{digits}{pad}"
    for pad, sign, digits in product(
        PADS,
        ["", "+", "-", "+-"],
        ["0", "42", "9223372036854775807", "9223372036854775808", "0" * 30 + "5", "١٢", "1_0"],
    )
] + ["0x1F", "0o17", "1.0", "1e3", "-9223372036854775808", "-9223372036854775809"]
GRID_UUIDS = [
    f"{pad}{open_}{body}{close}{pad}"
    for pad, open_, close, body in product(
        ["", " "],
        ["", "{"],
        ["", "}"],
        [
            "12345678-1234-1234-1234-123456789abc",
            "123456781234123412341234567890AB",
            "1234-5678-1234-1234-1234-5678-9abc-def0",
            "12345678-1234-1234-1234-123456789ab",
            "12345678-1234-1234-1234-123456789abcd",
            "1234567-81234-1234-1234-123456789abc",
            "12345678--1234-1234-1234-123456789abc",
            "-12345678123412341234123456789abc",
            "12345678123412341234123456789abc-",
            "g2345678123412341234123456789abc",
        ],
    )
]
GRID_JSON_NUMBERS = [
    f"{m}e{e}"
    for m, e in product(
        ["1", "1.5", "0", "0.000", "-9.99", "123.456"],
        [*range(-16390, -16375), *range(131060, 131075), -1, 0, 1],
    )
]


@pytest.fixture(scope="module")
def pg(settings):
    """One connection for the module (hypothesis runs many examples per test)."""
    import psycopg

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        yield conn


def judged(conn, pg_type: str, values: list[str]) -> tuple[int, list[str]]:
    """(how many the loader accepts, those of them Postgres refuses as sent)."""
    sent = []
    for value in values:
        try:
            sent.append(validator_for(pg_type)(value))
        except ValueError:
            continue
    rows = conn.execute(
        "select v from unnest(%s::text[]) as t(v) where not pg_input_is_valid(v, %s)",
        (sent, pg_type),
    ).fetchall()
    return len(sent), [row[0] for row in rows]


GRIDS = [
    (TIMESTAMP, grid_timestamps()),
    (DATE, [f"{pad}{d}{pad}" for d, pad in product(GRID_DATES, PADS)]),
    (NUMERIC, GRID_NUMERICS),
    (INT, GRID_INTEGERS),
    (UUID, GRID_UUIDS),
]


@pytest.mark.parametrize(("pg_type", "values"), GRIDS, ids=[g[0] for g in GRIDS])
def test_every_grid_value_the_loader_accepts_postgres_accepts(pg, pg_type, values):
    accepted, refused = judged(pg, pg_type, values)

    assert refused == []
    assert 0 < accepted < len(values)  # the grid holds both kinds


def test_every_json_number_the_loader_accepts_fits_jsonb(pg):
    accepted = []
    for literal in GRID_JSON_NUMBERS:
        try:
            check_json_number(literal)
        except ValueError:
            continue
        accepted.append('{"n": ' + literal + "}")
    refused = pg.execute(
        "select v from unnest(%s::text[]) as t(v) where not pg_input_is_valid(v, 'jsonb')",
        (accepted,),
    ).fetchall()

    assert refused == []
    assert 0 < len(accepted) < len(GRID_JSON_NUMBERS)


def _iso(moment, sep: str, digits: int, clock: str, offset_minutes: int | None) -> str:
    text = f"{moment.year:04d}-" + moment.strftime(f"%m-%d{sep}%H:%M:%S")
    if clock:
        text = text[:-8] + clock
    elif digits:
        text += "." + f"{moment.microsecond:06d}{moment.microsecond:03d}"[:digits]
    if offset_minutes is None:
        return text
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


# Real instants in the forms a producer writes, with Postgres' edges (24:00:00, leap
# seconds, offsets up to 15:59, one beyond).
PLAUSIBLE_TIMESTAMPS = st.builds(
    _iso,
    st.datetimes(),
    st.sampled_from(["T", " ", "t"]),
    st.integers(0, 9),
    st.sampled_from(["", "", "", "24:00:00", "23:59:60"]),
    st.one_of(st.none(), st.integers(-(16 * 60), 16 * 60)),
)
PLAUSIBLE_NUMERICS = st.builds(
    "{}.{}e{}".format, st.integers(), st.integers(0, 10**9), st.integers(-30, 14)
)
SLOW_OK = settings(suppress_health_check=[HealthCheck.too_slow])


@SLOW_OK
@given(st.lists(PLAUSIBLE_TIMESTAMPS, min_size=20, max_size=20))
def test_random_timestamps_the_loader_accepts_postgres_accepts(pg, values):
    assert judged(pg, TIMESTAMP, values)[1] == []


@SLOW_OK
@given(st.lists(st.one_of(PLAUSIBLE_NUMERICS, st.text(max_size=8)), min_size=20, max_size=20))
def test_random_numerics_the_loader_accepts_postgres_accepts(pg, values):
    assert judged(pg, NUMERIC, values)[1] == []


@SLOW_OK
@given(st.lists(st.one_of(st.integers().map(str), st.text(max_size=8)), min_size=20, max_size=20))
def test_random_integers_the_loader_accepts_postgres_accepts(pg, values):
    assert judged(pg, INT, values)[1] == []


POSTGRES_EDGE_VALUES = [
    (TIMESTAMP, "2024-01-01T24:00:00Z"),
    (TIMESTAMP, "2024-12-31 23:59:60"),
    (TIMESTAMP, "2024-01-01T10:00:00+15:59"),
    (TIMESTAMP, "2024-01-01T10:00:00.1234567-15:30"),
    (TIMESTAMP, "0001-01-01T00:00:00+15:00"),
    (NUMERIC, "  +1.5e-999999 "),
    (NUMERIC, "999999999999.994"),
    (INT, "\t-9223372036854775808\n"),
    (UUID, "{12345678-1234-1234-1234-123456789abc}"),
    (UUID, "1234-5678-1234-1234-1234-5678-9abc-def0"),
]


@pytest.mark.parametrize(("pg_type", "value"), POSTGRES_EDGE_VALUES)
def test_edge_values_postgres_accepts_are_accepted_too(pg, pg_type, value):
    sent = validator_for(pg_type)(value)

    assert pg.execute("select pg_input_is_valid(%s, %s)", (sent, pg_type)).fetchone()[0]
