"""Value validators: accept what Postgres stores, reject with a named problem otherwise."""

from __future__ import annotations

import re

import pytest

from dataflow.contracts import DATE, INT, NUMERIC, TEXT, TIMESTAMP
from dataflow.ingest import parsers
from dataflow.ingest.parsers import (
    check_json_number,
    csv_field,
    fast_pattern,
    parse_date,
    parse_int,
    parse_numeric,
    parse_text,
    parse_timestamp,
    parse_uuid,
)


@pytest.mark.parametrize("value", ["42", "-7", "+3", " 5 ", "\t5\n", "9223372036854775807"])
def test_parse_int_accepts_decimal_bigints_with_the_whitespace_postgres_skips(value):
    assert parse_int(value) == value.strip()


@pytest.mark.parametrize("value", ["abc", "1.5", "", " ", "1_000", "0x1F", "١٢", "5\u00a0"])
def test_parse_int_rejects_non_integers(value):
    with pytest.raises(ValueError, match="invalid integer"):
        parse_int(value)


@pytest.mark.parametrize("value", ["9223372036854775808", "-9223372036854775809", "9" * 5000])
def test_parse_int_rejects_values_beyond_bigint(value):
    with pytest.raises(ValueError, match="integer out of range"):
        parse_int(value)


@pytest.mark.parametrize("value", ["19.99", "-0.5", ".5", "7", "1e3", "999999999999.994"])
def test_parse_numeric_accepts_values_that_fit_numeric_14_2(value):
    assert parse_numeric(value) == value


@pytest.mark.parametrize("value", ["12.3.4", "ten", "NaN", "Infinity", "", "1,5"])
def test_parse_numeric_rejects_non_numbers(value):
    with pytest.raises(ValueError, match="invalid numeric"):
        parse_numeric(value)


def test_parse_numeric_rounds_half_away_from_zero_like_postgres():
    assert parse_numeric("-999999999999.994") == "-999999999999.994"
    with pytest.raises(ValueError, match="numeric out of range"):
        parse_numeric("-999999999999.995")


@pytest.mark.parametrize(
    "value", ["1234567890123", "999999999999.995", "1e12", "1e999", "1e9999999", "5e-99999999"]
)
def test_parse_numeric_rejects_values_that_overflow_after_rounding(value):
    with pytest.raises(ValueError, match="numeric out of range"):
        parse_numeric(value)


def test_parse_date_checks_the_calendar():
    assert parse_date("2024-02-29") == "2024-02-29"
    for bad in ("2023-02-29", "2024-13-01", "2024-1-1", "01/02/2024", "2024-01-01T00:00"):
        with pytest.raises(ValueError, match="invalid date"):
            parse_date(bad)


def test_parse_date_rejects_year_zero_which_postgres_refuses():
    with pytest.raises(ValueError, match="year out of range"):
        parse_date("0000-01-01")


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01T10:00:00Z",
        "2024-01-01 10:00:00+02:00",
        "2024-01-01T10:00:00.123456+0530",
        "2024-01-01T10:00",
        "2024-01-01",
        "2024-02-29T23:59:59z",
        "2024-01-01T24:00:00Z",
        "2024-06-30T23:59:60Z",
        "2024-01-01T10:00:00+15:59",
        "2024-01-01T10:00:00.123456789Z",
    ],
)
def test_parse_timestamp_accepts_iso_8601_as_postgres_reads_it(value):
    assert parse_timestamp(value) == value


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2024-01-01T10:00:00+16:00", "time zone offset out of range"),
        ("2024-01-01T10:00:00-23:59", "time zone offset out of range"),
        ("2024-01-01T10:00:00+05:75", "time zone offset out of range"),
        ("2024-01-01T24:00:01Z", "24:00 must be exactly 24:00:00"),
        ("2024-01-01T23:59:60.5Z", "invalid timestamp"),
        ("0000-01-01T00:00:00Z", "year out of range"),
        ("now", "invalid timestamp"),
        ("infinity", "invalid timestamp"),
        ("2024-01-01T10:00:00 Europe/Berlin", "invalid timestamp"),
    ],
)
def test_parse_timestamp_rejects_what_postgres_refuses_or_the_contract_excludes(value, problem):
    with pytest.raises(ValueError, match=problem):
        parse_timestamp(value)


@pytest.mark.parametrize(
    "value",
    ["2024-02-30T10:00:00Z", "yesterday", "2024-W01-1", "20240101T101010", "2024-01-01T25:00"],
)
def test_parse_timestamp_rejects_other_text(value):
    with pytest.raises(ValueError, match="invalid timestamp"):
        parse_timestamp(value)


def test_parse_uuid_accepts_the_forms_uuid_in_reads():
    assert parse_uuid("00000000-0000-4000-8000-000000000001")
    assert parse_uuid("0000000000004000800000000000000A")
    assert parse_uuid("{00000000-0000-4000-8000-000000000001}")
    assert parse_uuid("0000-0000-0000-4000-8000-0000-0000-0001")
    for bad in (
        "urn:uuid:00000000-0000-4000-8000-000000000001",
        " 00000000-0000-4000-8000-000000000001",  # uuid_in skips no whitespace
        "{00000000-0000-4000-8000-000000000001",
        "0000000-00000-4000-8000-000000000001",
    ):
        with pytest.raises(ValueError, match="invalid uuid"):
            parse_uuid(bad)


@pytest.mark.parametrize("literal", ["1e-16383", "1.5e-16382", "1e131071", "12.5", "-0.0"])
def test_json_numbers_postgres_numeric_holds_are_accepted(literal):
    assert check_json_number(literal) == float(literal)


@pytest.mark.parametrize("literal", ["1e-16384", "0e-16384", "1.5e-16383", "1e131072"])
def test_json_numbers_beyond_postgres_numeric_are_refused(literal):
    with pytest.raises(ValueError, match="overflows Postgres numeric"):
        check_json_number(literal)


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
        "2024-02-28T10:00:00+14:59",
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
