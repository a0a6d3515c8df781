"""Row encoders: valid rows -> COPY CSV with lineage, invalid rows -> quarantine."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest

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


def tx(i: int, method: str = "paypal") -> str:
    return f"{i},101,201,2,1.00,2024-01-01T10:00:00Z,{method},completed"


def loaded_lines(out: str) -> list[int]:
    return [int(r[8]) for r in copy_rows(out)]


def test_a_stray_quote_at_a_field_start_costs_only_its_own_row():
    encoder, rejected = csv_encoder()
    lines = [tx(1), tx(2, '"paypal'), *(tx(i) for i in range(3, 40))]

    out = encoder.encode(LineBlock(2, lines)) + encoder.finish()

    assert rejected == [QuarantinedRow(3, lines[1], UNCLOSED_QUOTE)]
    assert loaded_lines(out) == [2, *range(4, 41)]
    assert (encoder.received, encoder.loaded, encoder.quarantined) == (39, 38, 1)


def test_two_stray_quotes_do_not_join_the_rows_between_them():
    encoder, rejected = csv_encoder()
    lines = [tx(1, '"paypal'), tx(2), tx(3), tx(4, 'pay"pal'), tx(5)]

    out = encoder.encode(LineBlock(2, lines)) + encoder.finish()

    assert [r.line_number for r in rejected] == [2]
    assert loaded_lines(out) == [3, 4, 5, 6]  # pay"pal: a literal quote, as csv reads it


def test_a_quote_inside_an_unquoted_field_is_literal_and_opens_nothing():
    encoder, rejected = csv_encoder()

    out = encoder.encode(LineBlock(2, [tx(1, 'pay"pal'), tx(2)]))

    assert [r[6] for r in copy_rows(out)] == ['pay"pal', "paypal"] and not rejected


def test_a_stray_quote_spanning_blocks_costs_its_row_across_the_boundary():
    encoder, rejected = csv_encoder()

    out = encoder.encode(LineBlock(2, [tx(1), tx(2, '"x')]))
    out += encoder.encode(LineBlock(4, [tx(3), tx(4)]))
    out += encoder.encode(LineBlock(6, [tx(5)])) + encoder.finish()

    assert [r.line_number for r in rejected] == [3]
    assert loaded_lines(out) == [2, 4, 5, 6]


def test_a_valid_multi_line_record_after_a_stray_quote_still_loads_whole():
    encoder, rejected = csv_encoder()
    multi = ['3,101,201,2,1.00,2024-01-01T10:00:00Z,"two', 'lines",completed']
    lines = [tx(1, '"open'), tx(2), *multi]

    out = encoder.encode(LineBlock(2, lines)) + encoder.finish()

    assert [r.line_number for r in rejected] == [2]
    assert [(int(r[8]), r[6]) for r in copy_rows(out)] == [(3, "paypal"), (4, "two\nlines")]


def test_a_record_that_would_exceed_the_line_limit_is_not_joined(monkeypatch):
    from dataflow.ingest import rows

    monkeypatch.setattr(rows, "MAX_RECORD_LINES", 5)
    encoder, rejected = csv_encoder()
    lines = [tx(1, '"open'), *(tx(i) for i in range(2, 10)), tx(10, 'x"')]

    out = encoder.encode(LineBlock(2, lines)) + encoder.finish()

    assert [r.line_number for r in rejected] == [2]
    assert loaded_lines(out) == list(range(3, 12))


def test_records_postgres_refused_earlier_are_quarantined_with_its_reason():
    rejected: list[QuarantinedRow] = []
    layout = parse_header(HEADER, TRANSACTIONS, KEY)
    encoder = CsvRowEncoder(layout, LINEAGE, rejected.append, {3: "refused by Postgres: x"})

    out = encoder.encode(LineBlock(2, [tx(1), tx(2), tx(3)]))

    assert loaded_lines(out) == [2, 4]
    assert rejected == [QuarantinedRow(3, tx(2), "refused by Postgres: x")]
    assert (encoder.rejected_by_postgres, encoder.quarantined) == (1, 1)


def test_sent_lines_map_copy_lines_back_to_source_lines():
    encoder, _ = csv_encoder()
    lines = [tx(1), "bad", tx(3), '4,101,201,2,1.00,2024-01-01T10:00:00Z,"a', 'b",completed', tx(6)]

    out = encoder.encode(LineBlock(2, lines))

    sent = encoder.sent
    assert out.count("\n") == sent.lines_written == 5 and sent.rows == 4
    copy_line_to_source = [sent.source_line_of_copy_line(n) for n in range(1, 6)]
    assert copy_line_to_source == [2, 4, 5, 5, 7]
    assert sent.source_line_of_copy_line(6) is None
    assert sent.runs() == ([2, 4, 5, 7], [1, 1, 1, 1])


def test_sent_lines_keep_one_run_for_consecutive_rows():
    encoder, _ = csv_encoder()

    encoder.encode(LineBlock(2, [tx(i) for i in range(1000)]))
    encoder.encode(LineBlock(1002, [tx(i) for i in range(1000)]))

    assert encoder.sent.runs() == ([2], [2000])


def event(**fields) -> str:
    import json

    base = {
        "event_id": "00000000-0000-4000-8000-000000000001",
        "event_type": "page_view",
        "customer_id": 7,
        "occurred_at": "2024-01-01T10:00:00Z",
    }
    return json.dumps({**base, **fields})


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (event(x=1).replace('"x": 1', '"x": 1e-20000'), "overflows Postgres numeric"),
        (event(x=1).replace('"x": 1', '"x": 1e400000'), "overflows Postgres numeric"),
        (event(x=[[[]]]).replace("[[[]]]", "[" * 600 + "]" * 600), "nested deeper than 512"),
        (event(occurred_at="2024-01-01T10:00:00+16:00"), "time zone offset out of range"),
        (event(customer_id=True), "invalid integer in customer_id: 'true'"),
        (event(customer_id=1e3), "invalid integer in customer_id: '1000.0'"),
        (event(event_id="{00000000-0000-4000-8000-00000000000"), "invalid uuid"),
    ],
)
def test_json_values_postgres_would_refuse_are_quarantined(line, reason):
    rejected: list[QuarantinedRow] = []
    encoder = JsonlRowEncoder(EVENTS, LINEAGE, rejected.append)

    encoder.encode(LineBlock(1, [line]))

    assert len(rejected) == 1 and reason in rejected[0].reason


def test_json_nesting_within_the_limit_and_brackets_inside_strings_are_fine():
    rejected: list[QuarantinedRow] = []
    encoder = JsonlRowEncoder(EVENTS, LINEAGE, rejected.append)
    deep = event(x=1).replace('"x": 1', '"x": ' + "[" * 400 + "]" * 400)
    brackets = event(note="[" * 2000)

    encoder.encode(LineBlock(1, [deep, brackets]))

    assert encoder.loaded == 2 and not rejected


def test_a_bad_line_inside_an_open_record_keeps_its_own_reason_and_line():
    encoder, rejected = csv_encoder()
    lines = [tx(1), tx(2, '"open'), tx(3), tx(4), "caf\ufffd", tx(6)]

    out = encoder.encode(LineBlock(2, lines, {4: "invalid UTF-8 at byte 4"})) + encoder.finish()

    assert [(r.line_number, r.reason) for r in rejected] == [
        (3, UNCLOSED_QUOTE),
        (6, "invalid UTF-8 at byte 4"),
    ]
    assert loaded_lines(out) == [2, 4, 5, 7]
