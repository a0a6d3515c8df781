"""The loader against the real runtime: moto server (S3) -> Postgres ``raw.*`` via COPY.

Every test lands its own hand-made files under a landing hour of its own (``hour``
fixture), so tests are independent and leave nothing behind.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from dataflow.contracts import SOURCES, landing_key
from dataflow.ingest import HeaderMismatchError, load_interval
from dataflow.ingest.loader import LOCK_NAMESPACE, lock_file

pytestmark = pytest.mark.integration

TX_HEADER = (
    "transaction_id,customer_id,product_id,quantity,transaction_amount,transaction_at,"
    "payment_method,status"
)
CUSTOMER_HEADER = (
    "customer_id,email,first_name,last_name,country,customer_segment,registration_date,"
    "last_login_at,updated_at"
)
UPDATED = "2024-01-01T09:00:00Z"


def tx_line(i: int, quantity: str = "2", amount: str = "19.99") -> str:
    at = f"2024-01-01T10:{i % 60:02d}:00Z"
    return f"{i},{100 + i},{200 + i},{quantity},{amount},{at},paypal,completed"


def csv_text(header: str, *lines: str) -> str:
    return "\n".join((header, *lines)) + "\n"


def event_line(i: int, **overrides) -> str:
    import json

    event = {
        "event_id": f"00000000-0000-4000-8000-{i:012d}",
        "event_type": "page_view",
        "customer_id": 100 + i,
        "occurred_at": "2024-01-01T10:00:00Z",
        "page_url": f"/p/{i}",
    }
    event.update(overrides)
    return json.dumps({k: v for k, v in event.items() if v is not ...})


# Each test owns HOURS_PER_TEST consecutive hours (it may land files in the later ones), taken
# from a random base: unique within a session, and parallel sessions (pytest-xdist workers)
# are unlikely to meet.
HOURS_PER_TEST = 4
_HOURS = itertools.count(int.from_bytes(os.urandom(4)) % 900_000 * HOURS_PER_TEST, HOURS_PER_TEST)


# Rows carry their file's landing hour: a test's rows are those of the hours it owns.
OWNED_HOURS = "_interval_start >= %s and _interval_start < %s"
OWNED_AUDIT_HOURS = "interval_start >= %s and interval_start < %s"


def owned(start: datetime) -> tuple[datetime, datetime]:
    return start, start + timedelta(hours=HOURS_PER_TEST)


@pytest.fixture
def hour(settings, warehouse, s3):
    """The first of the hours owned by this test; its files and rows are removed afterwards."""
    start = datetime(2001, 1, 1, tzinfo=UTC) + timedelta(hours=next(_HOURS))
    yield start
    for source in SOURCES:
        for offset in range(HOURS_PER_TEST):
            prefix = landing_key(source, start + timedelta(hours=offset), "")
            listing = s3.list_objects_v2(Bucket=settings.landing_bucket, Prefix=prefix)
            for obj in listing.get("Contents", []):
                s3.delete_object(Bucket=settings.landing_bucket, Key=obj["Key"])
        warehouse.execute(f"delete from raw.{source} where {OWNED_HOURS}", owned(start))
    warehouse.execute(f"delete from audit.quarantine where {OWNED_AUDIT_HOURS}", owned(start))
    warehouse.execute(f"delete from audit.load_audit where {OWNED_AUDIT_HOURS}", owned(start))


@pytest.fixture
def land(settings, s3, hour):
    """``land(source, name, content)`` puts one landing file into the test's hour."""

    def put(source: str, name: str, content: str | bytes, at: datetime | None = None) -> str:
        key = landing_key(source, at or hour, name)
        body = content.encode("utf-8") if isinstance(content, str) else content
        s3.put_object(Bucket=settings.landing_bucket, Key=key, Body=body)
        return key

    return put


def load(settings, source: str, hour: datetime, hours: int = 1, run_id: str = "test-run"):
    return load_interval(settings, source, hour, hour + timedelta(hours=hours), run_id)


def raw_rows(warehouse, source: str, hour: datetime) -> list[tuple]:
    return warehouse.execute(
        f"select * from raw.{source} where {OWNED_HOURS} order by _source_file, _source_line",
        owned(hour),
    ).fetchall()


def quarantined(warehouse, source: str, hour: datetime) -> list[tuple]:
    return warehouse.execute(
        "select source_file, line_number, raw_text, reason, run_id from audit.quarantine"
        f" where source = %s and {OWNED_AUDIT_HOURS} order by source_file, line_number",
        (source, *owned(hour)),
    ).fetchall()


def audits(warehouse, source: str, hour: datetime) -> list[tuple]:
    return warehouse.execute(
        "select source_file, rows_received, rows_loaded, rows_quarantined, extra_columns, run_id"
        f" from audit.load_audit where source = %s and {OWNED_AUDIT_HOURS} order by source_file",
        (source, *owned(hour)),
    ).fetchall()


def interval_state(warehouse, source: str, hour: datetime):
    return (
        raw_rows(warehouse, source, hour),
        quarantined(warehouse, source, hour),
        audits(warehouse, source, hour),
    )


# --- lineage and types ---------------------------------------------------------------------


def test_rows_load_typed_with_lineage(settings, warehouse, land, hour):
    key = land("transactions", "a.csv", csv_text(TX_HEADER, tx_line(1), tx_line(2)))

    result = load(settings, "transactions", hour)

    rows = warehouse.execute(
        "select transaction_id, quantity, transaction_amount::text, transaction_at,"
        " _source_file, _source_line, _interval_start, _loaded_at"
        " from raw.transactions where _interval_start = %s order by _source_line",
        (hour,),
    ).fetchall()
    assert [r[:6] for r in rows] == [
        (1, 2, "19.99", datetime(2024, 1, 1, 10, 1, tzinfo=UTC), key, 2),
        (2, 2, "19.99", datetime(2024, 1, 1, 10, 2, tzinfo=UTC), key, 3),
    ]
    assert {r[6] for r in rows} == {hour}
    loaded_at = {r[7] for r in rows}
    assert len(loaded_at) == 1 and abs(loaded_at.pop() - datetime.now(UTC)) < timedelta(minutes=5)
    assert (result.rows_received, result.rows_loaded, result.rows_quarantined) == (2, 2, 0)


def test_empty_optional_values_load_as_null(settings, warehouse, land, hour):
    line = "7,107,207,,5.00,2024-01-01T10:00:00Z,,completed"
    land("transactions", "a.csv", csv_text(TX_HEADER, line))

    load(settings, "transactions", hour)

    row = warehouse.execute(
        "select quantity, payment_method from raw.transactions where _interval_start = %s",
        (hour,),
    ).fetchone()
    assert row == (None, None)


def test_quoted_fields_with_commas_and_newlines_load_with_their_first_line(
    settings, warehouse, land, hour
):
    lines = (
        '1,101,201,1,1.00,2024-01-01T10:00:00Z,"pay,pal",completed',
        '2,102,202,1,1.00,2024-01-01T10:00:00Z,"two\nlines ""quoted""",completed',
        tx_line(3),
    )
    land("transactions", "a.csv", csv_text(TX_HEADER, *lines))

    load(settings, "transactions", hour)

    rows = warehouse.execute(
        "select transaction_id, payment_method, _source_line from raw.transactions"
        " where _interval_start = %s order by transaction_id",
        (hour,),
    ).fetchall()
    assert rows == [(1, "pay,pal", 2), (2, 'two\nlines "quoted"', 3), (3, "paypal", 5)]


def test_business_rule_problems_load_and_are_not_quarantined(settings, warehouse, land, hour):
    lines = (
        "1,101,201,-3,-19.99,2024-01-01T10:00:00Z,bitcoin,unknown_status",
        "1,999999999,201,1,1.00,2024-01-01T10:00:00Z,paypal,completed",
    )
    land("transactions", "a.csv", csv_text(TX_HEADER, *lines))

    result = load(settings, "transactions", hour)

    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)


def test_events_load_the_whole_object_as_payload(settings, warehouse, land, hour):
    line = event_line(1, event_type="add_to_cart", product_id=42)
    key = land("events", "e.jsonl", line + "\n")

    load(settings, "events", hour)

    row = warehouse.execute(
        "select event_id::text, event_type, customer_id, occurred_at, payload,"
        " _source_file, _source_line from raw.events where _interval_start = %s",
        (hour,),
    ).fetchone()
    assert row[:4] == (
        "00000000-0000-4000-8000-000000000001",
        "add_to_cart",
        101,
        datetime(2024, 1, 1, 10, tzinfo=UTC),
    )
    assert row[4]["product_id"] == 42 and row[4]["page_url"] == "/p/1"
    assert row[5:] == (key, 1)


def test_files_of_every_hour_in_the_interval_load(settings, warehouse, land, hour):
    land("transactions", "a.csv", csv_text(TX_HEADER, tx_line(1)))
    land("transactions", "b.csv", csv_text(TX_HEADER, tx_line(2)), at=hour + timedelta(hours=1))
    land("transactions", "c.csv", csv_text(TX_HEADER, tx_line(3)), at=hour + timedelta(hours=2))

    result = load(settings, "transactions", hour, hours=2)

    assert [f.source_file.rsplit("/", 1)[1] for f in result.files] == ["a.csv", "b.csv"]
    assert len(raw_rows(warehouse, "transactions", hour)) == 2


# --- idempotency and atomicity -------------------------------------------------------------


def test_rerun_replaces_the_interval_with_the_same_rows_and_counts(settings, warehouse, land, hour):
    land("transactions", "a.csv", csv_text(TX_HEADER, tx_line(1), "bad", tx_line(2)))
    land("transactions", "b.csv", csv_text(TX_HEADER, tx_line(3)))

    first = load(settings, "transactions", hour)
    state = interval_state(warehouse, "transactions", hour)
    second = load(settings, "transactions", hour)

    def without_loaded_at(rows):
        return [r[:-2] + r[-1:] for r in rows]  # _loaded_at is the second-to-last column

    again = interval_state(warehouse, "transactions", hour)
    assert without_loaded_at(again[0]) == without_loaded_at(state[0])
    assert again[1:] == state[1:]
    assert len(again[0]) == 3 and len(again[1]) == 1 and len(again[2]) == 2
    assert first.files == second.files


def test_bad_header_in_second_file_raises_and_leaves_the_earlier_load(
    settings, warehouse, land, hour
):
    land("transactions", "a.csv", csv_text(TX_HEADER, tx_line(1), "bad"))
    load(settings, "transactions", hour)
    before = interval_state(warehouse, "transactions", hour)
    land("transactions", "a.csv", csv_text(TX_HEADER, tx_line(1), tx_line(2)))  # changed
    land("transactions", "b.csv", csv_text(TX_HEADER.replace("status", "state"), tx_line(3)))

    with pytest.raises(HeaderMismatchError):
        load(settings, "transactions", hour, run_id="second-run")

    assert interval_state(warehouse, "transactions", hour) == before


def test_connection_drop_mid_copy_leaves_the_earlier_load(settings, warehouse, land, hour):
    import psycopg

    land("transactions", "a.csv", csv_text(TX_HEADER, tx_line(1)))
    load(settings, "transactions", hour)
    before = interval_state(warehouse, "transactions", hour)
    big = csv_text(TX_HEADER, *(tx_line(i) for i in range(2, 600_000)))
    big_key = land("transactions", "b.csv", big)
    failure: list[BaseException] = []

    def run():
        try:
            load(settings, "transactions", hour)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failure.append(exc)

    loader = threading.Thread(target=run)
    loader.start()
    killed = terminate_loader_during_copy(warehouse, big_key)
    loader.join(timeout=120)

    assert killed, "the COPY finished before it could be interrupted"
    assert failure and isinstance(failure[0], psycopg.OperationalError)
    assert interval_state(warehouse, "transactions", hour) == before


# pg_locks rows (alias ``l``) of the loader's lock on one file (``lock_file``): parameters
# LOCK_NAMESPACE and "<source>|<key>".
FILE_LOCK_OF = (
    "l.locktype = 'advisory' and l.classid = %s and l.objsubid = 2"
    " and l.objid::bigint = (hashtext(%s)::bigint + 4294967296) %% 4294967296"
)


def terminate_loader_during_copy(warehouse, key: str, timeout: float = 60.0) -> bool:
    """Kill the backend that holds the load lock of file ``key`` while it runs its COPY."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = warehouse.execute(
            "select a.pid from pg_locks l join pg_stat_activity a using (pid)"
            f" where {FILE_LOCK_OF} and l.granted"
            " and a.query ilike 'copy \"raw\".\"transactions\"%%' and a.state = 'active'",
            (LOCK_NAMESPACE, f"transactions|{key}"),
        ).fetchone()
        if row:
            time.sleep(0.3)  # well inside the COPY
            return warehouse.execute("select pg_terminate_backend(%s)", row).fetchone()[0]
        time.sleep(0.01)
    return False


def test_concurrent_loads_of_one_interval_serialise(settings, warehouse, land, hour):
    land("transactions", "a.csv", csv_text(TX_HEADER, *(tx_line(i) for i in range(1, 20_001))))
    results, errors = [], []

    def run():
        try:
            results.append(load(settings, "transactions", hour))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors and len(results) == 2
    assert len(raw_rows(warehouse, "transactions", hour)) == 20_000
    assert len(audits(warehouse, "transactions", hour)) == 1


def test_a_file_load_beside_an_interval_load_of_the_same_source_does_not_deadlock(
    settings, warehouse, land, hour
):
    """The micro-batch loads one file while the hourly run loads the whole hour (seen at 10M).

    The interval load has written file a's audit and waits for file b, which the file load
    holds and writes its audit for: neither may wait on the other's audit bookkeeping.
    """
    import psycopg

    from dataflow.ingest import load_files

    keys = [land("transactions", f"{name}.csv", csv_text(TX_HEADER, tx_line(i))) for i, name in
            enumerate("abc", start=1)]  # fmt: skip
    errors: list[BaseException] = []

    def run(target, *args):
        try:
            target(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    file_load = threading.Thread(target=run, args=(load_files, settings, "transactions", keys[1:2]))
    interval_load = threading.Thread(target=run, args=(load, settings, "transactions", hour))
    with psycopg.connect(settings.warehouse_url) as gate:  # holds file b until both wait for it
        lock_file(gate, "transactions", keys[1])
        file_load.start()
        wait_for_lock_waiters(warehouse, "transactions", keys[1], 1)
        interval_load.start()  # loads file a, then queues for b behind the file load
        wait_for_lock_waiters(warehouse, "transactions", keys[1], 2)
    for thread in (file_load, interval_load):
        thread.join(timeout=60)

    assert not errors, errors
    assert len(raw_rows(warehouse, "transactions", hour)) == 3
    assert len(audits(warehouse, "transactions", hour)) == 3
    totals, sums = warehouse.execute(  # one statement: one snapshot beside other workers' loads
        "select (select (files, rows_received)::text from audit.load_totals"
        " where source = 'transactions'), (select (count(*), sum(rows_received))::text"
        " from audit.load_audit where source = 'transactions')"
    ).fetchone()
    assert totals == sums


def wait_for_lock_waiters(warehouse, source: str, key: str, count: int, timeout=30.0) -> None:
    """Until ``count`` sessions wait for the loader's lock on file ``key``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = warehouse.execute(
            f"select count(*) from pg_locks l where {FILE_LOCK_OF} and not l.granted",
            (LOCK_NAMESPACE, f"{source}|{key}"),
        ).fetchone()[0]
        if waiting >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} sessions waited for {key}")


# --- header --------------------------------------------------------------------------------


def test_header_drift_names_the_file_and_the_missing_and_renamed_columns(settings, land, hour):
    header = TX_HEADER.replace("transaction_amount", "amount")
    key = land("transactions", "drift.csv", csv_text(header, tx_line(1)))

    with pytest.raises(HeaderMismatchError) as error:
        load(settings, "transactions", hour)

    message = str(error.value)
    assert key in message
    assert "missing column(s) transaction_amount" in message
    assert "unexpected column(s) amount (renamed?)" in message
    assert error.value.missing == ("transaction_amount",)


def test_columns_may_come_in_any_order(settings, warehouse, land, hour):
    header = "status,transaction_amount,transaction_id,customer_id,product_id,quantity," + (
        "transaction_at,payment_method"
    )
    line = "refunded,12.50,9,109,209,3,2024-01-01T10:00:00Z,paypal"
    land("transactions", "a.csv", csv_text(header, line))

    load(settings, "transactions", hour)

    row = warehouse.execute(
        "select transaction_id, status, transaction_amount::text, quantity from raw.transactions"
        " where _interval_start = %s",
        (hour,),
    ).fetchone()
    assert row == (9, "refunded", "12.50", 3)


def test_extra_columns_are_ignored_and_reported(settings, warehouse, land, hour, caplog):
    header = TX_HEADER.replace("quantity,", "quantity,coupon_code,") + ",channel"
    lines = (
        "1,101,201,2,SAVE10,19.99,2024-01-01T10:00:00Z,paypal,completed,web",
        '2,102,202,2,"X,Y",19.99,2024-01-01T10:00:00Z,paypal,completed,app',
    )
    key = land("transactions", "extra.csv", csv_text(header, *lines))

    with caplog.at_level(logging.WARNING, logger="dataflow.ingest"):
        result = load(settings, "transactions", hour)

    rows = warehouse.execute(
        "select transaction_id, quantity, transaction_amount::text, status from raw.transactions"
        " where _interval_start = %s order by 1",
        (hour,),
    ).fetchall()
    assert rows == [(1, 2, "19.99", "completed"), (2, 2, "19.99", "completed")]
    assert result.files[0].extra_columns == ("coupon_code", "channel")
    assert audits(warehouse, "transactions", hour)[0][4] == ["coupon_code", "channel"]
    assert any(key in r.message and "coupon_code" in r.message for r in caplog.records)


# --- quarantine ----------------------------------------------------------------------------

CSV_CASES = [
    ("transactions", TX_HEADER, tx_line(5) + ",extra", "wrong field count: expected 8, got 9"),
    ("transactions", TX_HEADER, "5,105,205,2", "wrong field count: expected 8, got 4"),
    ("transactions", TX_HEADER, tx_line(5, quantity="abc"), "invalid integer in quantity: 'abc'"),
    (
        "transactions",
        TX_HEADER,
        tx_line(5, quantity="99999999999999999999"),
        "integer out of range in quantity: '99999999999999999999'",
    ),
    (
        "transactions",
        TX_HEADER,
        tx_line(5, amount="12.3.4"),
        "invalid numeric in transaction_amount: '12.3.4'",
    ),
    (
        "transactions",
        TX_HEADER,
        tx_line(5, amount="1234567890123"),
        "numeric out of range in transaction_amount: '1234567890123'",
    ),
    (
        "transactions",
        TX_HEADER,
        "5,105,205,2,19.99,2024-02-30T10:00:00Z,paypal,completed",
        "invalid timestamp in transaction_at: '2024-02-30T10:00:00Z'",
    ),
    (
        "transactions",
        TX_HEADER,
        "5,,205,2,19.99,2024-01-01T10:00:00Z,paypal,completed",
        "missing required value: customer_id",
    ),
    (
        "transactions",
        TX_HEADER,
        "5,105,205,2,19.99,2024-01-01T10:00:00Z,paypal,",
        "missing required value: status",
    ),
    (
        "customers",
        CUSTOMER_HEADER,
        f"5,a@b.c,Ann,Lee,DE,premium,2024-13-01,,{UPDATED}",
        "invalid date in registration_date: '2024-13-01'",
    ),
    (
        "customers",
        CUSTOMER_HEADER,
        f"5,a@b.c,Ann,Lee,DE,premium,2024-01-01,yesterday,{UPDATED}",
        "invalid timestamp in last_login_at: 'yesterday'",
    ),
    (
        "products",
        "product_id,product_name,product_category,unit_price,updated_at",
        f"5,Lamp,home,ten,{UPDATED}",
        "invalid numeric in unit_price: 'ten'",
    ),
    (
        "transactions",
        TX_HEADER,
        "5,105,205,2,19.99,2024-01-01T10:00:00Z,pay\x00pal,completed",
        "NUL character in payment_method: 'pay\\x00pal'",
    ),
    (
        "transactions",
        TX_HEADER,
        '5,105,205,2,19.99,2024-01-01T10:00:00Z,"pay"pal,completed',
        "malformed CSV: ',' expected after '\"'",
    ),
]


def good_line(source: str, i: int) -> str:
    return {
        "transactions": tx_line(i),
        "customers": f"{i},c{i}@x.io,Ann,Lee,DE,basic,2023-05-01,2024-01-01T08:00:00Z,{UPDATED}",
        "products": f"{i},Lamp,home,12.00,{UPDATED}",
    }[source]


@pytest.mark.parametrize(("source", "header", "bad", "reason"), CSV_CASES)
def test_bad_csv_row_is_quarantined_with_line_raw_text_and_reason(
    settings, warehouse, land, hour, source, header, bad, reason
):
    key = land(source, "f.csv", csv_text(header, good_line(source, 1), bad, good_line(source, 2)))

    result = load(settings, source, hour)

    expected_raw = bad.replace("\x00", "\ufffd")
    assert quarantined(warehouse, source, hour) == [(key, 3, expected_raw, reason, "test-run")]
    assert len(raw_rows(warehouse, source, hour)) == 2
    assert (result.rows_received, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)


def test_invalid_utf8_line_is_quarantined_and_the_rest_of_the_file_loads(
    settings, warehouse, land, hour
):
    bad = b"5,105,205,2,19.99,2024-01-01T10:00:00Z,caf\xe9,completed"
    content = csv_text(TX_HEADER, tx_line(1)).encode() + bad + b"\n" + tx_line(2).encode()

    load(settings, "transactions", hour)  # nothing landed yet: an empty interval is fine
    key = land("transactions", "latin1.csv", content)
    result = load(settings, "transactions", hour)

    raw_text = bad.decode("utf-8", errors="replace")
    reason = "invalid UTF-8 at byte 43"  # 1-based position of \xe9 in the line
    assert quarantined(warehouse, "transactions", hour) == [(key, 3, raw_text, reason, "test-run")]
    assert result.rows_loaded == 2


EVENT_CASES = [
    ('{"event_id": "x", ', "invalid JSON: Expecting property name enclosed in double quotes"),
    ("[1, 2]", "invalid JSON: expected an object, got list"),
    ('{"a": NaN}', "invalid JSON: NaN is not valid JSON"),
    (event_line(5, occurred_at=...), "missing required key: occurred_at"),
    (event_line(5, event_type=None), "missing required value: event_type"),
    (event_line(5, customer_id="abc"), "invalid integer in customer_id: 'abc'"),
    (event_line(5, customer_id=1.5), "invalid integer in customer_id: '1.5'"),
    (event_line(5, event_id="nope"), "invalid uuid in event_id: 'nope'"),
    (event_line(5, occurred_at="soon"), "invalid timestamp in occurred_at: 'soon'"),
    (event_line(5, page_url="a\u0000b"), "invalid JSON: \\u0000 or an unpaired surrogate"),
]


@pytest.mark.parametrize(("bad", "reason"), EVENT_CASES)
def test_bad_event_line_is_quarantined_with_line_raw_text_and_reason(
    settings, warehouse, land, hour, bad, reason
):
    key = land("events", "e.jsonl", "\n".join((event_line(1), bad, event_line(2))) + "\n")

    result = load(settings, "events", hour)

    [(file, line, raw, got, _)] = quarantined(warehouse, "events", hour)
    assert (file, line, raw) == (key, 2, bad)
    assert got.startswith(reason)
    assert (result.rows_received, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)


# --- reconciliation ------------------------------------------------------------------------


def test_counts_reconcile_with_the_data_lines_of_each_file(settings, warehouse, land, hour):
    land("transactions", "a.csv", csv_text(TX_HEADER, tx_line(1), "x", tx_line(2)) + "\n")
    land("transactions", "b.csv", csv_text(TX_HEADER, *(tx_line(i) for i in range(3, 13))))
    land("transactions", "c.csv", TX_HEADER + "\n")
    land("events", "e.jsonl", "\n".join((event_line(1), "{", event_line(2))))

    tx = load(settings, "transactions", hour)
    events = load(settings, "events", hour)

    assert [(f.rows_received, f.rows_loaded, f.rows_quarantined) for f in tx.files] == [
        (3, 2, 1),
        (10, 10, 0),
        (0, 0, 0),
    ]
    assert (events.rows_received, events.rows_loaded, events.rows_quarantined) == (3, 2, 1)
    assert [a[1:4] for a in audits(warehouse, "transactions", hour)] == [
        (3, 2, 1),
        (10, 10, 0),
        (0, 0, 0),
    ]
    assert len(raw_rows(warehouse, "transactions", hour)) == tx.rows_loaded == 12
    assert len(quarantined(warehouse, "transactions", hour)) == tx.rows_quarantined == 1
