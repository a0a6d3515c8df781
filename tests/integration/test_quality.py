"""GX validation of loaded intervals against the real warehouse, audit table and moto S3.

Each test inserts its own rows (SQL ``generate_series``) for a distinct ``_interval_start``;
defects are injected every ``k``-th row (k=100 ≈ 1 %, k=5 = 20 %).
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from dataflow.quality import (
    CriticalExpectationsFailed,
    check_critical,
    validate_interval,
    validate_source,
)
from dataflow.quality.suites import available_suites, load_suite

pytestmark = pytest.mark.integration

ROWS = 500
RAW_TABLES = ("customers", "products", "transactions", "events")


@pytest.fixture
def interval(request, warehouse):
    """A UTC hour used by this test only, emptied before and after the test."""
    offset = zlib.crc32(request.node.name.encode()) % 100_000
    start = datetime(2031, 1, 1, tzinfo=UTC) + timedelta(hours=offset)

    def clean():
        for table in RAW_TABLES:
            warehouse.execute(f"delete from raw.{table} where _interval_start = %s", (start,))
        warehouse.execute(
            "delete from audit.validation_results where interval_start = %s", (start,)
        )

    clean()
    yield start
    clean()


def every(k: int) -> str:
    """SQL condition true for every k-th generated row (never when k is 0)."""
    return f"mod(g, {k}) = 0" if k else "false"


def insert_customers(conn, start, bad_email=0, empty_segment=0):
    conn.execute(
        f"""
        insert into raw.customers (customer_id, email, first_name, last_name, country,
            customer_segment, registration_date, last_login_at, updated_at,
            _source_file, _source_line, _loaded_at, _interval_start)
        select g,
            case when {every(bad_email)} then 'not-an-email' else 'user' || g || '@example.com' end,
            'Ada', 'Lovelace', 'GB',
            case when {every(empty_segment)} then ''
                else (array['premium', 'standard', 'basic'])[1 + mod(g, 3)] end,
            date '2030-06-01', %(start)s::timestamptz, %(start)s::timestamptz,
            'landing/customers/test.csv', g + 1, now(), %(start)s
        from generate_series(1, {ROWS}) g
        """,
        {"start": start},
    )


def insert_products(conn, start):
    conn.execute(
        """
        insert into raw.products (product_id, product_name, product_category, unit_price,
            updated_at, _source_file, _source_line, _loaded_at, _interval_start)
        select g, 'Product ' || g, 'books', 9.99, %(start)s::timestamptz,
            'landing/products/test.csv', g + 1, now(), %(start)s
        from generate_series(1, 50) g
        """,
        {"start": start},
    )


def insert_transactions(conn, start, negative_amount=0, unknown_customer=0, duplicate_id=0):
    # Unknown customers get negative ids, which no customers row of any interval has.
    conn.execute(
        f"""
        insert into raw.transactions (transaction_id, customer_id, product_id, quantity,
            transaction_amount, transaction_at, payment_method, status,
            _source_file, _source_line, _loaded_at, _interval_start)
        select case when {every(duplicate_id)} then g - 1 else g end,
            case when {every(unknown_customer)} then -g else 1 + mod(g, {ROWS}) end,
            1 + mod(g, 50), 1,
            case when {every(negative_amount)} then -5.00 else 19.99 end,
            %(start)s::timestamptz + interval '10 minutes', 'paypal', 'completed',
            'landing/transactions/test.csv', g + 1, now(), %(start)s
        from generate_series(1, {ROWS}) g
        """,
        {"start": start},
    )


def insert_events(conn, start):
    conn.execute(
        """
        insert into raw.events (event_id, event_type, customer_id, occurred_at, payload,
            _source_file, _source_line, _loaded_at, _interval_start)
        select gen_random_uuid(), 'page_view', g, %(start)s::timestamptz, '{}'::jsonb,
            'landing/events/test.jsonl', g, now(), %(start)s
        from generate_series(1, 100) g
        """,
        {"start": start},
    )


def insert_clean_interval(conn, start):
    insert_customers(conn, start)
    insert_products(conn, start)
    insert_transactions(conn, start)
    insert_events(conn, start)


def recorded(conn, run_id):
    return conn.execute(
        "select suite, expectation, column_name, severity, success, observed_value,"
        " unexpected_count, element_count from audit.validation_results where run_id = %s",
        (run_id,),
    ).fetchall()


def expectation_count(settings) -> int:
    return sum(
        len(load_suite(settings.gx_dir, s).expectations) for s in available_suites(settings.gx_dir)
    )


def test_clean_interval_passes_and_records_one_row_per_expectation(settings, warehouse, interval):
    insert_clean_interval(warehouse, interval)

    report = validate_interval(settings, interval, run_id="test-clean", build_docs=False)

    rows = recorded(warehouse, "test-clean")
    assert report.success and not report.warning_failures
    assert set(report.suites) == set(RAW_TABLES)
    assert len(rows) == report.evaluated == expectation_count(settings)
    assert all(row[4] for row in rows)
    email = next(r for r in rows if r[1] == "expect_column_values_to_match_regex")
    assert email[6:] == (0, ROWS)


def test_one_percent_defects_pass_critical_checks_and_record_failed_warnings(
    settings, warehouse, interval
):
    insert_clean_interval(warehouse, interval)
    warehouse.execute("delete from raw.customers where _interval_start = %s", (interval,))
    warehouse.execute("delete from raw.transactions where _interval_start = %s", (interval,))
    insert_customers(warehouse, interval, bad_email=100, empty_segment=100)
    insert_transactions(
        warehouse, interval, negative_amount=100, unknown_customer=100, duplicate_id=100
    )

    report = validate_interval(settings, interval, run_id="test-one-percent", build_docs=False)

    failed = {(r[0], r[1], r[2], r[3]) for r in recorded(warehouse, "test-one-percent") if not r[4]}
    assert report.success
    assert failed == {
        ("customers", "expect_column_values_to_match_regex", "email", "warning"),
        ("customers", "expect_column_values_to_be_in_set", "customer_segment", "warning"),
        ("transactions", "expect_column_values_to_be_between", "transaction_amount", "warning"),
        ("transactions", "expect_column_values_to_be_in_set", "has_known_customer", "warning"),
        ("transactions", "expect_column_values_to_be_unique", "transaction_id", "warning"),
    }


def test_twenty_percent_invalid_emails_fail_critical_and_are_still_recorded(
    settings, warehouse, interval
):
    insert_clean_interval(warehouse, interval)
    warehouse.execute("delete from raw.customers where _interval_start = %s", (interval,))
    insert_customers(warehouse, interval, bad_email=5)

    with pytest.raises(CriticalExpectationsFailed) as raised:
        validate_interval(settings, interval, run_id="test-bad-emails", build_docs=False)

    message = str(raised.value)
    assert "customers / expect_column_values_to_match_regex / email" in message
    assert "100 of 500 rows unexpected (20.00%)" in message and "mostly=0.95" in message
    rows = recorded(warehouse, "test-bad-emails")
    assert len(rows) == expectation_count(settings)
    assert ("customers", "expect_column_values_to_match_regex", "email", "critical", False) in {
        r[:5] for r in rows
    }


def test_twenty_percent_unknown_customers_fail_referential_integrity_at_the_gate(
    settings, warehouse, interval
):
    insert_customers(warehouse, interval)
    insert_transactions(warehouse, interval, unknown_customer=5)

    summaries = [
        json.loads(json.dumps(validate_source(settings, source, interval, "test-ri")))
        for source in ("customers", "transactions")
    ]

    assert [s["success"] for s in summaries] == [True, False]
    with pytest.raises(CriticalExpectationsFailed, match="transactions / .* / has_known_customer"):
        check_critical(summaries)


def test_revalidating_with_the_same_run_id_replaces_its_rows(settings, warehouse, interval):
    insert_customers(warehouse, interval)

    validate_source(settings, "customers", interval, "test-retry")
    summary = validate_source(settings, "customers", interval, "test-retry")

    assert len(recorded(warehouse, "test-retry")) == summary["evaluated"]


def test_data_docs_are_built_locally_and_uploaded_to_the_docs_bucket(
    settings, warehouse, interval, s3
):
    insert_clean_interval(warehouse, interval)

    report = validate_interval(settings, interval, run_id="test-docs")

    keys = [
        o["Key"]
        for o in s3.list_objects_v2(
            Bucket=settings.docs_bucket, Prefix="data_docs/validations/customers/test-docs/"
        ).get("Contents", [])
    ]
    assert report.data_docs_local.is_file() and report.data_docs_local.name == "index.html"
    assert report.data_docs_s3_uri == f"s3://{settings.docs_bucket}/data_docs/index.html"
    index = s3.get_object(Bucket=settings.docs_bucket, Key="data_docs/index.html")
    assert index["ContentType"] == "text/html"
    assert b"test-docs" in index["Body"].read()
    assert keys and keys[0].endswith(".html")
