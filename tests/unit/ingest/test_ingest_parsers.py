"""Value validators: accept what Postgres stores, reject with a named problem otherwise."""

from __future__ import annotations

import re

import pytest

from dataflow.contracts import DATE, INT, NUMERIC, TEXT, TIMESTAMP
from dataflow.ingest import parsers
from dataflow.ingest.parsers import (
    csv_field,
    fast_pattern,
    parse_date,
    parse_int,
    parse_numeric,
    parse_text,
    parse_timestamp,
    parse_uuid,
)


@pytest.mark.parametrize("value", ["42", "-7", "+3", " 5 ", "9223372036854775807"])
def test_parse_int_accepts_decimal_bigints(value):
    assert parse_int(value) == value.strip()


@pytest.mark.parametrize("value", ["abc", "1.5", "", " ", "1_000", "0x1F", "١٢"])
def test_parse_int_rejects_non_integers(value):
    with pytest.raises(ValueError, match="invalid integer"):
        parse_int(value)


def test_parse_int_rejects_values_beyond_bigint():
    with pytest.raises(ValueError, match="integer out of range"):
        parse_int("9223372036854775808")


@pytest.mark.parametrize("value", ["19.99", "-0.5", ".5", "7", "1e3", "999999999999.994"])
def test_parse_numeric_accepts_values_that_fit_numeric_14_2(value):
    assert parse_numeric(value) == value


@pytest.mark.parametrize("value", ["12.3.4", "ten", "NaN", "Infinity", "", "1,5"])
def test_parse_numeric_rejects_non_numbers(value):
    with pytest.raises(ValueError, match="invalid numeric"):
        parse_numeric(value)


@pytest.mark.parametrize("value", ["1234567890123", "999999999999.995", "1e12", "1e999"])
def test_parse_numeric_rejects_values_that_overflow_after_rounding(value):
    with pytest.raises(ValueError, match="numeric out of range"):
        parse_numeric(value)


def test_parse_date_checks_the_calendar():
    assert parse_date("2024-02-29") == "2024-02-29"
    for bad in ("2023-02-29", "2024-13-01", "2024-1-1", "01/02/2024", "2024-01-01T00:00"):
        with pytest.raises(ValueError, match="invalid date"):
            parse_date(bad)


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01T10:00:00Z",
        "2024-01-01 10:00:00+02:00",
        "2024-01-01T10:00:00.123456+0530",
        "2024-01-01T10:00",
        "2024-01-01",
        "2024-02-29T23:59:59z",
    ],
)
def test_parse_timestamp_accepts_iso_8601(value):
    assert parse_timestamp(value) == value


@pytest.mark.parametrize(
    "value",
    ["2024-02-30T10:00:00Z", "yesterday", "2024-W01-1", "20240101T101010", "2024-01-01T25:00"],
)
def test_parse_timestamp_rejects_other_text(value):
    with pytest.raises(ValueError, match="invalid timestamp"):
        parse_timestamp(value)


def test_parse_uuid_accepts_hex_forms_only():
    assert parse_uuid("00000000-0000-4000-8000-000000000001")
    assert parse_uuid("0000000000004000800000000000000A")
    with pytest.raises(ValueError, match="invalid uuid"):
        parse_uuid("urn:uuid:00000000-0000-4000-8000-000000000001")


def test_parse_text_rejects_nul_only():
    assert parse_text(' any, "text" \n ') == ' any, "text" \n '
    with pytest.raises(ValueError, match="NUL character"):
        parse_text("a\x00b")


SAMPLES = {
    INT: ["1", "-1", "0", "123456789012345678", "1234567890123456789", "+1", "01", "1.0", ""],
    NUMERIC: ["1", "1.5", "1.55", "1.555", "-0.01", "999999999999.99", "1000000000000", ".5"],
    DATE: ["2024-02-28", "2024-02-29", "2023-02-29", "0000-01-01", "2024-00-10", "2024-12-31"],
    TIMESTAMP: [
        "2024-01-01T00:00:00Z",
        "2024-01-01 23:59:59.999999+14:00",
        "2024-01-01T24:00:00Z",
        "2024-02-28T10:00:00+15:00",
        "2024-01-01T10:00:00-0330",
        "2024-04-31T10:00:00Z",
    ],
    TEXT: ["a", "a b", "ü", ""],
}
PRECISE = {INT: parse_int, NUMERIC: parse_numeric, DATE: parse_date}
PRECISE |= {TIMESTAMP: parse_timestamp, TEXT: parse_text}


@pytest.mark.parametrize("pg_type", list(SAMPLES))
def test_fast_patterns_only_accept_what_the_precise_validators_accept(pg_type):
    fast = re.compile(fast_pattern(pg_type, required=True))
    for value in SAMPLES[pg_type]:
        if fast.fullmatch(value):
            assert PRECISE[pg_type](value) == value, value


def test_every_contract_type_has_a_validator():
    from dataflow.contracts import SOURCES

    for source in SOURCES.values():
        for column in source.columns:
            if column.pg_type != parsers.JSONB:
                assert parsers.validator_for(column.pg_type)


def test_csv_field_writes_null_for_empty_and_quotes_only_when_needed():
    assert csv_field(None) == "" and csv_field("") == ""
    assert csv_field("plain text") == "plain text"
    assert csv_field('say "hi", then\nbye') == '"say ""hi"", then\nbye"'
