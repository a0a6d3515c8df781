"""Incremental dbt models against the real loader, real dbt and generated data with defects.

One scenario for the module (its dbt builds are the expensive part): generated data (≈2%
defects) lands in S3 for a backfill hour h0 and increments h1, h2. Each hour is loaded by the
real loader (`dataflow.ingest.load_interval`) and transformed by a real incremental
`dbt build`. On the way: a transaction and a customer get version 1 in h1 and version 2 in
h2; a transaction dated in h2 lands in h1; after h1 ran, late rows land in h1's folder and
rows about the past in h2's, and h1's transactions and customers files are corrected in
place. Then h1 is rerun (loaded and built again with its own interval), and every compared
relation must equal a `dbt build --full-refresh` over the same raw data, row for row.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dataflow.contracts import BATCH_SOURCES, CUSTOMERS, TRANSACTIONS, landing_key

pytestmark = pytest.mark.integration

ANCHOR = datetime(2027, 3, 1, tzinfo=UTC)
H0, H1, H2 = (ANCHOR + timedelta(hours=h) for h in range(3))
VERSIONED_TRANSACTION, VERSIONED_CUSTOMER = 98_000_001, 98_001
LATE_TRANSACTIONS = range(97_000_001, 97_000_008)
FUTURE_TRANSACTION = 97_000_100
MIN_SUPPORT_VARS = {"product_affinity_min_support": 0}
DBT_SCHEMAS = ("staging", "intermediate", "marts", "snapshots")


def hour_vars(hour: datetime) -> dict:
    from dataflow.transform import dbt_vars

    return {**dbt_vars(hour, hour + timedelta(hours=1)), **MIN_SUPPORT_VARS}


def fetch_all(conn, sql: str, params=()) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def reset_warehouse_and_landing(settings, conn, s3) -> None:
    """Empty raw/audit, drop dbt's schemas and the scenario's landing files."""
    from dataflow.aws import list_keys
    from dataflow.warehouse import bootstrap_warehouse

    conn.execute(
        "truncate raw.customers, raw.products, raw.transactions, raw.events, "
        "audit.load_audit, audit.quarantine"
    )
    for schema in DBT_SCHEMAS:
        conn.execute(f"drop schema if exists {schema} cascade")
    bootstrap_warehouse(settings)
    for source in BATCH_SOURCES:
        prefix = f"landing/{source}/{ANCHOR:%Y-%m-%d}/"
        for key in list_keys(settings, settings.landing_bucket, prefix):
            s3.delete_object(Bucket=settings.landing_bucket, Key=key)


def csv_body(header, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def put(settings, s3, source: str, hour: datetime, name: str, header, rows) -> str:
    key = landing_key(source, hour, name)
    s3.put_object(Bucket=settings.landing_bucket, Key=key, Body=csv_body(header, rows))
    return key


def customer_row(customer_id, segment, country, updated_at: datetime):
    return [
        customer_id, f"c{customer_id}@example.com", "Ada", "Lovelace", country, segment,
        "2026-01-01", "", f"{updated_at:%Y-%m-%dT%H:%M:%SZ}",
    ]  # fmt: skip


def transaction_row(transaction_id, customer_id, product_id, amount, at: datetime, status):
    return [
        transaction_id, customer_id, product_id, 1, amount,
        f"{at:%Y-%m-%dT%H:%M:%SZ}", "paypal", status,
    ]  # fmt: skip


def land_versions(settings, s3, hour: datetime, version: int) -> None:
    """Version ``version`` of one customer and one transaction, landed in ``hour``."""
    segment = {1: "basic", 2: "premium"}[version]
    put(
        settings, s3, "customers", hour, "customers_versions.csv", CUSTOMERS.column_names,
        [customer_row(VERSIONED_CUSTOMER, segment, "DE", H0 + timedelta(minutes=version))],
    )  # fmt: skip
    put(
        settings, s3, "transactions", hour, "transactions_versions.csv",
        TRANSACTIONS.column_names,
        [transaction_row(VERSIONED_TRANSACTION, VERSIONED_CUSTOMER, 1, f"{10 * version}.00",
                         H0 - timedelta(days=3), "completed")],
    )  # fmt: skip


def clean_rows(body: bytes, width: int) -> tuple[list[str], list[list[str] | bytes]]:
    """Header and lines of a generated CSV; lines that are not clean rows stay raw bytes."""
    header, *lines = body.rstrip(b"\n").split(b"\n")
    parsed: list[list[str] | bytes] = []
    for line in lines:
        try:
            fields = next(csv.reader([line.decode("utf-8")]))
        except (UnicodeDecodeError, StopIteration):
            parsed.append(line)
            continue
        ok = len(fields) == width and fields[0].isdigit() and "abc" not in fields
        parsed.append(fields if ok and not any("not-a-date" in f for f in fields) else line)
    return header.decode().split(","), parsed


def write_lines(settings, s3, key: str, header, lines) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    data = out.getvalue().encode()
    for line in lines:
        if isinstance(line, bytes):
            data += line + b"\n"
        else:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerow(line)
            data += buffer.getvalue().encode()
    s3.put_object(Bucket=settings.landing_bucket, Key=key, Body=data)


def read_body(settings, s3, key: str) -> bytes:
    return s3.get_object(Bucket=settings.landing_bucket, Key=key)["Body"].read()


@dataclass
class Corrections:
    removed_transactions: list[int]
    moved_transaction: int
    removed_customer: int


def correct_h1_files(settings, s3, manifest) -> Corrections:
    """Rewrite h1's transactions and customers files in place (the corrections of a source).

    Transactions: two rows removed, amounts changed, one moved to another customer, one
    completed row refunded, one dated two months earlier. Customers: one sign-up removed (its
    transactions become invalid), one changed segment.
    """
    tx_key = manifest.files_for("transactions", H1)[0].key
    header, lines = clean_rows(read_body(settings, s3, tx_key), len(TRANSACTIONS.columns))
    rows = [line for line in lines if isinstance(line, list)]
    removed = [int(rows[0][0]), int(rows[1][0])]
    for row in rows[2:5]:
        row[4] = str(Decimal(row[4]) + Decimal("1.11"))
    rows[5][1] = rows[6][1]  # moved to the customer of the next row
    completed = next(r for r in rows[7:] if r[7] == "completed")
    completed[7] = "refunded"
    earlier = datetime.fromisoformat(rows[8][5].replace("Z", "+00:00")) - timedelta(days=60)
    rows[8][5] = f"{earlier:%Y-%m-%dT%H:%M:%SZ}"
    write_lines(settings, s3, tx_key, header, [r for r in lines if r not in rows[:2]])

    cu_key = manifest.files_for("customers", H1)[0].key
    header, lines = clean_rows(read_body(settings, s3, cu_key), len(CUSTOMERS.columns))
    customers = [line for line in lines if isinstance(line, list)]
    signed_up = max(customers, key=lambda c: int(c[0]))  # ids of sign-ups continue upwards
    assert int(signed_up[0]) > manifest.config["customers"], "h1 has no sign-up to remove"
    changed = next(c for c in customers if c[0] != signed_up[0])
    changed[5] = "premium" if changed[5] != "premium" else "basic"
    write_lines(settings, s3, cu_key, header, [c for c in lines if c != signed_up])
    return Corrections(removed, int(rows[5][0]), int(signed_up[0]))


def land_late_rows(settings, s3, customer_ids: list[int], removed_customer: int) -> None:
    """Late rows: a file in h1's folder after h1 ran, and rows about the past in h2's folder
    (one of them bought by the customer a correction removed)."""
    a, b, c = customer_ids[:3]
    put(
        settings, s3, "transactions", H1, "transactions_late.csv", TRANSACTIONS.column_names,
        [transaction_row(LATE_TRANSACTIONS[0], a, 1, "12.00", H1 + timedelta(minutes=5),
                         "completed"),
         transaction_row(LATE_TRANSACTIONS[1], a, 2, "13.00", H1 + timedelta(minutes=6),
                         "completed"),
         transaction_row(LATE_TRANSACTIONS[2], b, 3, "14.00", H0 - timedelta(days=20),
                         "completed")],
    )  # fmt: skip
    put(
        settings, s3, "transactions", H2, "transactions_late.csv", TRANSACTIONS.column_names,
        [transaction_row(LATE_TRANSACTIONS[3], c, 2, "15.00", H0 - timedelta(days=400),
                         "completed"),
         transaction_row(LATE_TRANSACTIONS[4], c, 3, "16.00", H0 - timedelta(days=400),
                         "completed"),
         transaction_row(LATE_TRANSACTIONS[5], b, 3, "17.00", H0 - timedelta(days=20),
                         "refunded"),
         transaction_row(LATE_TRANSACTIONS[6], removed_customer, 4, "18.00",
                         H1 + timedelta(minutes=40), "completed")],
    )  # fmt: skip


def land_future_transaction(settings, s3, customer_id: int) -> None:
    """A transaction dated in h2, landed in h1: counted only once as_of passes it."""
    put(
        settings, s3, "transactions", H1, "transactions_future.csv", TRANSACTIONS.column_names,
        [transaction_row(FUTURE_TRANSACTION, customer_id, 1, "99.00", H2 + timedelta(minutes=30),
                         "completed")],
    )  # fmt: skip


@dataclass
class Scenario:
    corrections: Corrections
    versions_opened_by_h2: int
    h2_transactions_in_staging: int
    future_counted_after_h1: bool
    future_counted_after_h2: bool
    versioned_after_h2: tuple
    differences: dict


def load_hour(settings, hour: datetime) -> None:
    from dataflow.ingest import load_interval

    for source in BATCH_SOURCES:
        load_interval(settings, source, hour, hour + timedelta(hours=1))


def build(settings, hour: datetime, data_tests: bool) -> None:
    """`dbt build` of the interval. dbt's unit tests run in test_dbt_build; the data tests
    (scoped to the latest batch on incremental runs) only where ``data_tests`` (suite time)."""
    from dataflow.transform import run_dbt

    excluded = ["unit_test"] if data_tests else ["unit_test", "test"]
    args = ["build", "--vars", json.dumps(hour_vars(hour))]
    run_dbt(settings, [*args, *(f"--exclude-resource-type={kind}" for kind in excluded)])


def run_hour(settings, hour: datetime, data_tests: bool = False) -> None:
    load_hour(settings, hour)
    build(settings, hour, data_tests)


def future_is_counted(conn) -> bool:
    return bool(
        fetch_all(
            conn,
            "select 1 from intermediate.int_transactions_versioned where transaction_id = %s "
            "and closed_batch is null and is_before_as_of",
            (FUTURE_TRANSACTION,),
        )
    )


def versioned_state(conn) -> tuple:
    amount = fetch_all(
        conn,
        "select transaction_amount from marts.fct_transactions where transaction_id = %s",
        (VERSIONED_TRANSACTION,),
    )
    segment = fetch_all(
        conn,
        "select customer_segment from marts.dim_customers where customer_id = %s",
        (VERSIONED_CUSTOMER,),
    )
    return amount, segment


def run_scenario(settings, conn, s3) -> Scenario:
    """h0, h1, then (late rows, corrections of h1's files, version 2) h2, a rerun of h1."""
    from dataflow.full_refresh_check import full_refresh_differences
    from dataflow.generate import GenerationConfig, generate_landing_data

    config = GenerationConfig(
        seed=11, customers=300, products=25, transactions=3000, increment_hours=2,
        increment_fraction=0.02, defect_rate=0.02, history_days=90, anchor=ANCHOR,
    )  # fmt: skip
    manifest = generate_landing_data(settings, config, progress=False)
    run_hour(settings, H0)
    customer_ids = [
        r[0] for r in fetch_all(conn, "select customer_id from staging.stg_raw__customers "
                                      "order by customer_id limit 3")
    ]  # fmt: skip
    land_versions(settings, s3, H1, version=1)
    land_future_transaction(settings, s3, customer_ids[0])
    run_hour(settings, H1)
    future_after_h1 = future_is_counted(conn)
    corrections = correct_h1_files(settings, s3, manifest)
    land_late_rows(settings, s3, customer_ids, corrections.removed_customer)
    land_versions(settings, s3, H2, version=2)
    run_hour(settings, H2, data_tests=True)
    opened = fetch_all(
        conn,
        "select count(*) from intermediate.int_transactions_versioned where valid_from_batch ="
        " (select max(batch_id) from intermediate.int_transform_batches)",
    )[0][0]
    h2_rows = fetch_all(
        conn, "select count(*) from staging.stg_raw__transactions where _interval_start = %s",
        (H2,),
    )[0][0]  # fmt: skip
    future_after_h2 = future_is_counted(conn)
    versioned_after_h2 = versioned_state(conn)
    run_hour(settings, H1, data_tests=True)  # the rerun of an older interval
    differences = full_refresh_differences(settings, hour_vars(H2))
    return Scenario(
        corrections, opened, h2_rows, future_after_h1, future_after_h2,
        versioned_after_h2, differences,
    )  # fmt: skip


@pytest.fixture(scope="module")
def scenario(settings):
    import psycopg

    from dataflow.aws import s3_client

    s3 = s3_client(settings)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        reset_warehouse_and_landing(settings, conn, s3)
        yield run_scenario(settings, conn, s3)


@pytest.fixture
def conn(warehouse):
    return warehouse


def test_every_relation_equals_a_full_refresh_after_late_rows_corrections_and_a_rerun(
    scenario,
):
    differing = {name: d for name, d in scenario.differences.items() if d.rows}

    assert len(scenario.differences) >= 15
    assert not differing, "\n".join(d.describe() for d in differing.values())


def test_an_hourly_run_versions_only_the_hours_transactions(scenario):
    # h2 lands ~60 generated transactions (plus the hand-made ones); the backfill has 3000.
    assert 0 < scenario.h2_transactions_in_staging <= scenario.versions_opened_by_h2
    assert scenario.versions_opened_by_h2 < 200


def test_a_rerun_of_an_older_interval_keeps_the_newer_transaction_version(scenario, conn):
    after_rerun = versioned_state(conn)

    assert scenario.versioned_after_h2[0] == [(Decimal("20.00"),)]
    assert after_rerun[0] == [(Decimal("20.00"),)]


def test_a_rerun_of_an_older_interval_keeps_the_newer_customer_version(scenario, conn):
    after_rerun = versioned_state(conn)
    snapshot = fetch_all(
        conn,
        "select customer_segment from snapshots.customers_snapshot "
        "where customer_id = %s and dbt_valid_to is null",
        (VERSIONED_CUSTOMER,),
    )

    assert scenario.versioned_after_h2[1] == [("premium",)]
    assert after_rerun[1] == [("premium",)]
    assert snapshot == [("premium",)]


def test_as_of_stays_at_the_latest_interval_after_a_rerun(scenario, conn):
    as_of = fetch_all(conn, "select distinct as_of from marts.customer_360")

    assert as_of == [(H2 + timedelta(hours=1),)]


def test_rows_removed_from_a_corrected_file_leave_the_marts(scenario, conn):
    removed = scenario.corrections.removed_transactions
    left = fetch_all(
        conn,
        "select transaction_id from marts.fct_transactions where transaction_id = any(%s)",
        (removed,),
    )

    assert left == []


def test_transactions_of_a_customer_removed_by_a_correction_become_invalid(scenario, conn):
    reasons = fetch_all(
        conn,
        "select distinct invalid_reason from intermediate.int_transactions_validated "
        "where customer_id = %s",
        (scenario.corrections.removed_customer,),
    )

    assert reasons == [("unknown_customer",)]


def test_a_transaction_is_counted_once_as_of_passes_it(scenario):
    assert not scenario.future_counted_after_h1
    assert scenario.future_counted_after_h2
