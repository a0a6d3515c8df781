"""Row encoders: valid rows -> COPY CSV with lineage, invalid rows -> quarantine."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

from dataflow.contracts import EVENTS, TRANSACTIONS
from dataflow.ingest.header import parse_header
from dataflow.ingest.rows import (
    UNCLOSED_QUOTE,
    CsvRowEncoder,
    JsonlRowEncoder,
    QuarantinedRow,
    lineage_constant,
    timestamp_text,
)
from dataflow.ingest.stream import LineBlock

KEY = "landing/transactions/2024-01-01/10/t.csv"
HOUR = datetime(2024, 1, 1, 10, tzinfo=UTC)
LINEAGE = lineage_constant(KEY, HOUR)
HEADER = ",".join(TRANSACTIONS.column_names)
GOOD = "1,101,201,2,19.99,2024-01-01T10:00:00Z,paypal,completed"


def csv_encoder(header: str = HEADER):
    rejected: list[QuarantinedRow] = []
    encoder = CsvRowEncoder(parse_header(header, TRANSACTIONS, KEY), LINEAGE, rejected.append)
    return encoder, rejected


def copy_rows(text: str) -> list[list[str]]:
    return list(csv.reader(text.splitlines(keepends=True)))


def test_lineage_uses_forms_postgres_parses_fast():
    assert LINEAGE == f"{KEY},now,2024-01-01 10:00Z"
    assert timestamp_text(datetime(2024, 1, 1, 10, 0, 5, tzinfo=UTC)) == "2024-01-01T10:00:05+00:00"


def test_valid_line_goes_through_unchanged_with_line_number_and_lineage():
    encoder, rejected = csv_encoder()

    out = encoder.encode(LineBlock(2, [GOOD]))

    assert out == f"{GOOD},2,{LINEAGE}\n"
    assert (encoder.received, encoder.loaded, encoder.quarantined) == (1, 1, 0) and not rejected


def test_quoted_and_edge_case_values_take_the_precise_path_and_are_reserialised():
    encoder, _ = csv_encoder()
    lines = [
        '1,101,201,2,19.99,2024-01-01T10:00:00Z,"pay,pal",completed',
        "2,101,201,,19.999,2024-02-29T10:00:00Z,,completed",  # day 29, 3 decimals, NULLs
    ]

    rows = copy_rows(encoder.encode(LineBlock(2, lines)))

    assert rows[0][:8] == ["1", "101", "201", "2", "19.99", "2024-01-01T10:00:00Z", "pay,pal"] + [
        "completed"
    ]
    assert rows[1][:8] == ["2", "101", "201", "", "19.999", "2024-02-29T10:00:00Z", ""] + [
        "completed"
    ]
    assert [r[8] for r in rows] == ["2", "3"]


def test_bad_rows_are_quarantined_and_counts_reconcile():
    encoder, rejected = csv_encoder()
    lines = [GOOD, "x,101,201,2,1.00,2024-01-01T10:00:00Z,paypal,completed", "", GOOD]

    out = encoder.encode(LineBlock(2, lines))

    assert len(copy_rows(out)) == 2
    assert rejected == [QuarantinedRow(3, lines[1], "invalid integer in transaction_id: 'x'")]
    assert (encoder.received, encoder.loaded, encoder.quarantined) == (3, 2, 1)


def test_record_with_newline_in_quotes_may_span_blocks():
    encoder, rejected = csv_encoder()
    first = LineBlock(2, [GOOD, '2,101,201,2,1.00,2024-01-01T10:00:00Z,"line one'])
    second = LineBlock(4, ['line two",completed', GOOD])

    out = encoder.encode(first) + encoder.encode(second) + encoder.finish()

    rows = copy_rows(out)
    assert [(r[0], r[6], r[8]) for r in rows] == [
        ("1", "paypal", "2"),
        ("2", "line one\nline two", "3"),
        ("1", "paypal", "5"),
    ]
    assert not rejected and encoder.received == 3


def test_quote_left_open_at_end_of_file_costs_its_line_and_the_next_lines_are_read_again():
    encoder, rejected = csv_encoder()
    opener = '2,101,201,2,1.00,2024-01-01T10:00:00Z,"open'

    out = encoder.encode(LineBlock(2, [opener, "more", GOOD])) + encoder.finish()

    assert rejected == [
        QuarantinedRow(2, opener, UNCLOSED_QUOTE),
        QuarantinedRow(3, "more", "wrong field count: expected 8, got 1"),
    ]
    assert [r[8] for r in copy_rows(out)] == ["4"]
    assert (encoder.received, encoder.loaded, encoder.quarantined) == (3, 1, 2)


def test_invalid_utf8_line_is_quarantined_with_its_reason():
    encoder, rejected = csv_encoder()

    encoder.encode(LineBlock(2, [GOOD, "caf\ufffd"], {1: "invalid UTF-8 at byte 4"}))

    assert rejected == [QuarantinedRow(3, "caf\ufffd", "invalid UTF-8 at byte 4")]


def test_extra_columns_are_dropped_from_the_copy_rows():
    encoder, _ = csv_encoder(HEADER.replace("quantity,", "quantity,coupon,"))

    out = encoder.encode(LineBlock(2, ["1,101,201,2,SAVE,19.99,2024-01-01T10:00:00Z,paypal,done"]))

    assert out.startswith("1,101,201,2,19.99,2024-01-01T10:00:00Z,paypal,done,2,")


def test_jsonl_encoder_sends_scalar_columns_and_the_whole_line_as_payload():
    rejected: list[QuarantinedRow] = []
    encoder = JsonlRowEncoder(EVENTS, LINEAGE, rejected.append)
    line = (
        '{"event_id": "00000000-0000-4000-8000-000000000001", "event_type": "page_view",'
        ' "customer_id": 7, "occurred_at": "2024-01-01T10:00:00Z", "page_url": "/"}'
    )

    rows = copy_rows(encoder.encode(LineBlock(1, [line, "{}", ""])))

    assert rows[0][:5] == [
        "00000000-0000-4000-8000-000000000001",
        "page_view",
        "7",
        "2024-01-01T10:00:00Z",
        line,
    ]
    assert rejected == [QuarantinedRow(2, "{}", "missing required key: event_id")]
    assert (encoder.received, encoder.loaded, encoder.quarantined) == (2, 1, 1)


def test_jsonl_bom_on_the_first_line_is_ignored():
    rejected: list[QuarantinedRow] = []
    encoder = JsonlRowEncoder(EVENTS, LINEAGE, rejected.append)
    line = (
        '{"event_id": "00000000-0000-4000-8000-000000000001", "event_type": "page_view",'
        ' "customer_id": 7, "occurred_at": "2024-01-01T10:00:00Z"}'
    )

    encoder.encode(LineBlock(1, ["\ufeff" + line]))

    assert (encoder.loaded, rejected) == (1, [])
