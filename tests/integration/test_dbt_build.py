"""`dbt build` for real on a small hand-made raw dataset with answers computed by hand.

The dataset lives in its own id ranges (99xxxx) and `_interval_start` values (year 2001).
The module starts from an empty warehouse (raw, audit, no dbt relations): the marts' as_of
never moves backwards, so the state of earlier tests would set it. Each hand-made "file" also
gets its `audit.load_audit` row, as the loader writes one: incremental runs find new and
changed files there. The fixture removes its raw and audit rows afterwards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dataflow.transform import DbtRunError, build_manifest, dbt_vars, run_dbt

pytestmark = pytest.mark.integration

INTERVAL_A = datetime(2001, 1, 1, 0, tzinfo=UTC)  # first load
INTERVAL_B = datetime(2001, 1, 1, 1, tzinfo=UTC)  # a re-delivered transaction
INTERVAL_C = datetime(2001, 1, 1, 2, tzinfo=UTC)  # a customer changes segment
OWN_INTERVALS = (INTERVAL_A, INTERVAL_B, INTERVAL_C)

AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
VARS = dbt_vars(AS_OF - timedelta(hours=1), AS_OF)

ALICE, BOB, CAROL, DAVE, UNKNOWN_CUSTOMER = 990001, 990002, 990003, 990004, 990999
BOOKS, ELECTRONICS, GARDEN, TOYS, UNKNOWN_PRODUCT = 990101, 990102, 990103, 990104, 990199
CUSTOMER_IDS = (ALICE, BOB, CAROL, DAVE)
PRODUCT_IDS = (BOOKS, ELECTRONICS, GARDEN, TOYS)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Load:
    """Lineage of one landed file."""

    interval_start: datetime
    loaded_at: datetime
    source_file: str


def _load(interval_start: datetime, minutes_ago: int, name: str) -> Load:
    loaded_at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return Load(interval_start, loaded_at, f"landing/test_dbt_build/{name}")


CUSTOMER_COLUMNS = (
    "customer_id, email, first_name, last_name, country, customer_segment, "
    "registration_date, last_login_at, updated_at"
)
PRODUCT_COLUMNS = "product_id, product_name, product_category, unit_price, updated_at"
TRANSACTION_COLUMNS = (
    "transaction_id, customer_id, product_id, quantity, transaction_amount, transaction_at, "
    "payment_method, status"
)


def insert_rows(conn, table: str, columns: str, load: Load, rows: list[tuple]) -> None:
    """Insert ``rows`` into ``raw.<table>`` with lineage of ``load`` (line 2 = first row),
    and the file's audit row."""
    lineage = "_source_file, _source_line, _loaded_at, _interval_start"
    placeholders = ", ".join(["%s"] * (len(columns.split(",")) + 4))
    sql = f"insert into raw.{table} ({columns}, {lineage}) values ({placeholders})"
    with conn.cursor() as cur:
        cur.executemany(
            sql,
            [
                (*row, load.source_file, line, load.loaded_at, load.interval_start)
                for line, row in enumerate(rows, start=2)
            ],
        )
    conn.execute(
        "insert into audit.load_audit (source, source_file, interval_start, rows_received,"
        " rows_loaded, rows_quarantined, started_at) values (%s, %s, %s, %s, %s, 0, %s)",
        (table, load.source_file, load.interval_start, len(rows), len(rows), load.loaded_at),
    )


def c(customer_id, email, segment, country, updated_at):
    """A raw customer row; names and dates other than updated_at are not under test."""
    names = ("First", "Last")
    return (customer_id, email, *names, country, segment, date(2023, 1, 1), None, ts(updated_at))


def seed_first_delivery(conn) -> None:
    """Interval A: customers (invalid email, duplicate, empty segment), products, transactions."""
    load = _load(INTERVAL_A, 60, "a.csv")
    customers = [
        c(ALICE, " Alice@Example.COM ", "premium", "US", "2024-01-01T00:00:00"),
        c(BOB, "bob-at-example", "", "DE", "2024-01-01T00:00:00"),  # invalid email
        c(CAROL, "carol@example.org", "basic", "FR", "2024-01-01T00:00:00"),
        c(CAROL, "carol@example.org", "standard", "FR", "2024-06-01T00:00:00"),  # update
        c(DAVE, "dave@example.net", None, "GB", "2024-01-01T00:00:00"),  # no segment
    ]
    insert_rows(conn, "customers", CUSTOMER_COLUMNS, load, customers)
    insert_rows(
        conn,
        "products",
        PRODUCT_COLUMNS,
        load,
        [
            (BOOKS, "Novel", "Books", Decimal("10.00"), ts("2024-01-01T00:00:00")),
            (ELECTRONICS, "Phone", "Electronics", Decimal("500.00"), ts("2024-01-01T00:00:00")),
            (GARDEN, "Rake", "Garden", Decimal("20.00"), ts("2024-01-01T00:00:00")),
            (TOYS, "Ball", "Toys", Decimal("5.00"), ts("2024-01-01T00:00:00")),
        ],
    )
    insert_rows(conn, "transactions", TRANSACTION_COLUMNS, load, FIRST_TRANSACTIONS)


def t(tid, customer, product, amount, at, status="completed"):
    return (tid, customer, product, 1, Decimal(amount), ts(at), "credit_card", status)


FIRST_TRANSACTIONS = [
    t(990000001, ALICE, BOOKS, "100.00", "2024-12-20T10:00:00"),  # Q4, same-day basket
    t(990000002, ALICE, ELECTRONICS, "200.00", "2024-12-20T15:00:00"),  # Q4, same-day basket
    t(990000003, ALICE, BOOKS, "50.00", "2024-06-15T00:00:00"),
    t(990000004, ALICE, GARDEN, "30.00", "2024-07-01T00:00:00", "refunded"),
    t(990000005, ALICE, TOYS, "500.00", "2025-01-01T00:00:00"),  # at as_of: not counted
    t(990000006, ALICE, BOOKS, "-20.00", "2024-05-01T00:00:00"),  # negative amount
    t(990000007, BOB, ELECTRONICS, "1500.00", "2024-10-01T00:00:00"),  # Q4
    t(990000008, BOB, GARDEN, "600.00", "2024-03-01T00:00:00"),  # re-delivered as 700
    t(990000010, CAROL, TOYS, "20.00", "2023-11-15T00:00:00"),  # Q4 of 2023
    t(990000011, UNKNOWN_CUSTOMER, BOOKS, "10.00", "2024-05-01T00:00:00"),
    t(990000012, ALICE, UNKNOWN_PRODUCT, "10.00", "2024-05-01T00:00:00"),
    t(990000013, BOB, BOOKS, "0.00", "2024-05-01T00:00:00"),  # zero amount
]
TRANSACTION_IDS = tuple(row[0] for row in FIRST_TRANSACTIONS)


def seed_redelivery(conn) -> None:
    """Interval B: transaction 990000008 arrives again, corrected; the latest load wins."""
    load = _load(INTERVAL_B, 30, "b.csv")
    corrected = t(990000008, BOB, GARDEN, "700.00", "2024-03-01T00:00:00")
    insert_rows(conn, "transactions", TRANSACTION_COLUMNS, load, [corrected])


def seed_later_interval(conn) -> None:
    """Interval C: Alice moves from premium to standard; the customer of transaction
    990000011 arrives late (the transaction becomes valid); Alice's refunded transaction
    990000004 is re-delivered with a negative amount (it becomes invalid)."""
    load = _load(INTERVAL_C, 0, "c.csv")
    customers = [
        c(ALICE, "alice@example.com", "standard", "US", "2024-12-31T00:00:00"),
        c(UNKNOWN_CUSTOMER, "late@example.com", "basic", "US", "2024-12-31T00:00:00"),
    ]
    insert_rows(conn, "customers", CUSTOMER_COLUMNS, load, customers)
    reversal = t(990000004, ALICE, GARDEN, "-30.00", "2024-07-01T00:00:00", "refunded")
    insert_rows(conn, "transactions", TRANSACTION_COLUMNS, load, [reversal])


def empty_warehouse(conn) -> None:
    """No raw or audit rows and no dbt relations (with their bookkeeping)."""
    conn.execute(
        "truncate raw.customers, raw.products, raw.transactions, raw.events, "
        "audit.load_audit, audit.quarantine"
    )
    for schema in ("staging", "intermediate", "marts", "snapshots"):
        conn.execute(f"drop schema if exists {schema} cascade")
        conn.execute(f"create schema {schema}")


def remove_test_rows(conn) -> None:
    for table in ("customers", "products", "transactions"):
        conn.execute(
            f"delete from raw.{table} where _interval_start = any(%s)", [list(OWN_INTERVALS)]
        )
    conn.execute(
        "delete from audit.load_audit where interval_start = any(%s)", [list(OWN_INTERVALS)]
    )


def dbt_build(settings):
    return run_dbt(settings, ["build", "--vars", json.dumps(VARS)])


def fetch_dicts(conn, sql: str, params=None) -> list[dict]:
    cur = conn.execute(sql, params)
    names = [c.name for c in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def customer_360_rows(conn) -> dict[int, dict]:
    rows = fetch_dicts(
        conn,
        "select * from marts.customer_360 where customer_id = any(%s)",
        [list(CUSTOMER_IDS)],
    )
    return {row["customer_id"]: row for row in rows}


def marts_state(conn) -> dict[str, list]:
    """Everything the marts hold about the test ids, in a stable order."""
    queries = {
        "customer_360": (
            "select * from marts.customer_360 where customer_id = any(%s) order by customer_id",
            CUSTOMER_IDS,
        ),
        "dim_customers": (
            "select * from marts.dim_customers where customer_id = any(%s) order by customer_id",
            CUSTOMER_IDS,
        ),
        "dim_products": (
            "select * from marts.dim_products where product_id = any(%s) order by product_id",
            PRODUCT_IDS,
        ),
        "fct_transactions": (
            "select * from marts.fct_transactions "
            "where transaction_id = any(%s) order by transaction_id",
            TRANSACTION_IDS,
        ),
        "product_affinity": (
            "select * from marts.product_affinity where product_id = any(%s) "
            "order by product_id, associated_product_id",
            PRODUCT_IDS,
        ),
        "customers_snapshot": (
            "select * from snapshots.customers_snapshot "
            "where customer_id = any(%s) order by customer_id, "
            "dbt_valid_from",
            CUSTOMER_IDS,
        ),
    }
    state = {name: fetch_dicts(conn, sql, [list(ids)]) for name, (sql, ids) in queries.items()}
    state["customer_cohort_retention"] = fetch_dicts(
        conn, "select * from marts.customer_cohort_retention order by 1, 2"
    )
    return state


EXPECTED_360 = {
    # completed, valid, before as_of: 100 (Q4 Books) + 200 (Q4 Electronics) + 50 (Books);
    # last on 2024-12-20 -> 12 days: active, recency 5, frequency 1, monetary 1 -> 7.
    ALICE: {
        "email": "alice@example.com",
        "is_email_valid": True,
        "customer_segment": "premium",
        "total_transactions": 3,
        "total_spent": Decimal("350.00"),
        "avg_transaction_amount": Decimal("116.67"),
        "first_transaction_at": ts("2024-06-15T00:00:00"),
        "last_transaction_at": ts("2024-12-20T15:00:00"),
        "days_since_last_transaction": 12,
        "value_tier": "low_value",
        "lifecycle_stage": "active",
        "recency_score": 5,
        "frequency_score": 1,
        "monetary_score": 1,
        "rfm_score": 7,
        "rfm_segment": "potential_loyalists",
        "top_categories": "Books, Electronics",
        "category_diversity": 2,
        "q4_transactions": 2,
        "q4_spending": Decimal("300.00"),
        "as_of": AS_OF,
    },
    # 1500 (Q4 Electronics) + 700 (Garden, re-delivered value); zero-amount row invalid.
    # last on 2024-10-01 -> 92 days: dormant, recency 2, frequency 1, monetary 3 -> 6.
    BOB: {
        "email": "bob-at-example",
        "is_email_valid": False,
        "customer_segment": "unknown",
        "total_transactions": 2,
        "total_spent": Decimal("2200.00"),
        "avg_transaction_amount": Decimal("1100.00"),
        "first_transaction_at": ts("2024-03-01T00:00:00"),
        "last_transaction_at": ts("2024-10-01T00:00:00"),
        "days_since_last_transaction": 92,
        "value_tier": "medium_value",
        "lifecycle_stage": "dormant",
        "recency_score": 2,
        "frequency_score": 1,
        "monetary_score": 3,
        "rfm_score": 6,
        "rfm_segment": "potential_loyalists",
        "top_categories": "Electronics, Garden",
        "category_diversity": 2,
        "q4_transactions": 1,
        "q4_spending": Decimal("1500.00"),
        "as_of": AS_OF,
    },
    # Latest version (2024-06-01) is 'standard'. One purchase on 2023-11-15 -> 413 days.
    CAROL: {
        "email": "carol@example.org",
        "is_email_valid": True,
        "customer_segment": "standard",
        "total_transactions": 1,
        "total_spent": Decimal("20.00"),
        "avg_transaction_amount": Decimal("20.00"),
        "first_transaction_at": ts("2023-11-15T00:00:00"),
        "last_transaction_at": ts("2023-11-15T00:00:00"),
        "days_since_last_transaction": 413,
        "value_tier": "low_value",
        "lifecycle_stage": "churned",
        "recency_score": 1,
        "frequency_score": 1,
        "monetary_score": 1,
        "rfm_score": 3,
        "rfm_segment": "at_risk",
        "top_categories": "Toys",
        "category_diversity": 1,
        "q4_transactions": 1,
        "q4_spending": Decimal("20.00"),
        "as_of": AS_OF,
    },
    DAVE: {
        "email": "dave@example.net",
        "is_email_valid": True,
        "customer_segment": "unknown",
        "total_transactions": 0,
        "total_spent": Decimal("0"),
        "avg_transaction_amount": Decimal("0"),
        "first_transaction_at": None,
        "last_transaction_at": None,
        "days_since_last_transaction": None,
        "value_tier": "no_purchases",
        "lifecycle_stage": "never_purchased",
        "recency_score": 1,
        "frequency_score": 1,
        "monetary_score": 1,
        "rfm_score": 3,
        "rfm_segment": "at_risk",
        "top_categories": None,
        "category_diversity": 0,
        "q4_transactions": 0,
        "q4_spending": Decimal("0"),
        "as_of": AS_OF,
    },
}


def assert_all_tests_passed(result) -> None:
    statuses = [(r.node.unique_id, str(r.status)) for r in result.result.results]
    failed = [s for s in statuses if s[1] in {"error", "fail", "runtime error"}]
    tests = [s for s in statuses if s[0].startswith(("test.", "unit_test."))]
    assert failed == []
    assert len(tests) > 50
    assert all(status in {"pass", "warn"} for _, status in tests)


@dataclass
class Outcome:
    """What three real `dbt build` runs produced for the test dataset."""

    first_result: object
    first: dict[str, list]
    rerun: dict[str, list]
    flagged: list[dict]
    after_update: dict[str, list]


def run_scenario(settings, conn) -> Outcome:
    """Load A+B, build, build again (rerun), load C (later changes), build a third time."""
    seed_first_delivery(conn)
    seed_redelivery(conn)
    first_result = dbt_build(settings)
    first = marts_state(conn)
    flagged = fetch_dicts(
        conn,
        "select transaction_id, invalid_reason from intermediate.int_transactions_validated "
        "where transaction_id = any(%s) and not is_valid order by transaction_id",
        [list(TRANSACTION_IDS)],
    )
    dbt_build(settings)
    rerun = marts_state(conn)
    seed_later_interval(conn)
    dbt_build(settings)
    return Outcome(first_result, first, rerun, flagged, marts_state(conn))


@pytest.fixture(scope="module")
def outcome(settings):
    """Runs the scenario once for the module (three builds keep it well under 2 minutes)."""
    import psycopg

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        empty_warehouse(conn)
        try:
            yield run_scenario(settings, conn)
        finally:
            remove_test_rows(conn)


def by_id(rows: list[dict], key: str) -> dict[int, dict]:
    return {row[key]: row for row in rows}


def test_dbt_build_passes_every_data_and_unit_test(outcome):
    assert_all_tests_passed(outcome.first_result)


def test_customer_360_matches_values_computed_by_hand(outcome):
    actual = by_id(outcome.first["customer_360"], "customer_id")

    assert set(actual) == set(CUSTOMER_IDS)
    for customer_id, expected in EXPECTED_360.items():
        got = {column: actual[customer_id][column] for column in expected}
        assert got == expected, customer_id


def test_fct_transactions_holds_only_valid_latest_rows(outcome):
    fct = by_id(outcome.first["fct_transactions"], "transaction_id")

    assert sorted(fct) == [
        990000001,
        990000002,
        990000003,
        990000004,
        990000005,
        990000007,
        990000008,
        990000010,
    ]
    assert fct[990000008]["transaction_amount"] == Decimal("700.00")


def test_invalid_transactions_are_flagged_with_their_reason(outcome):
    assert outcome.flagged == [
        {"transaction_id": 990000006, "invalid_reason": "non_positive_amount"},
        {"transaction_id": 990000011, "invalid_reason": "unknown_customer"},
        {"transaction_id": 990000012, "invalid_reason": "unknown_product"},
        {"transaction_id": 990000013, "invalid_reason": "non_positive_amount"},
    ]


def test_product_affinity_finds_the_same_day_basket_pair(outcome):
    pairs = [
        (row["product_id"], row["associated_product_id"], row["baskets_with_both"])
        for row in outcome.first["product_affinity"]
    ]

    # Alice's 2024-12-20 basket holds Books and Electronics; no other basket has two products.
    assert pairs == [(BOOKS, ELECTRONICS, 1), (ELECTRONICS, BOOKS, 1)]


def test_rerunning_the_same_interval_gives_identical_marts(outcome):
    assert outcome.rerun == outcome.first
    assert len(outcome.first["customer_360"]) == len(CUSTOMER_IDS)


def test_snapshot_records_a_segment_change_as_a_second_version(outcome):
    alice = [
        (row["customer_segment"], row["dbt_valid_from"], row["dbt_valid_to"])
        for row in outcome.after_update["customers_snapshot"]
        if row["customer_id"] == ALICE
    ]

    assert [row["customer_id"] for row in outcome.first["customers_snapshot"]] == [
        ALICE,
        BOB,
        CAROL,
        DAVE,
    ]
    assert alice == [
        ("premium", ts("2024-01-01T00:00:00"), ts("2024-12-31T00:00:00")),
        ("standard", ts("2024-12-31T00:00:00"), None),
    ]


def test_fct_transactions_follows_validity_changes_of_later_intervals(outcome):
    fct = by_id(outcome.after_update["fct_transactions"], "transaction_id")

    assert 990000011 in fct  # its customer arrived late: merged although loaded earlier
    assert 990000004 not in fct  # re-delivered invalid: removed by the post-hook
    assert fct[990000001] == by_id(outcome.first["fct_transactions"], "transaction_id")[990000001]


def test_customer_360_follows_the_segment_change(outcome):
    after = by_id(outcome.after_update["customer_360"], "customer_id")

    assert after[ALICE]["customer_segment"] == "standard"
    assert after[BOB] == by_id(outcome.first["customer_360"], "customer_id")[BOB]


def test_run_dbt_raises_a_clear_error_when_dbt_fails(settings):
    with pytest.raises(DbtRunError, match="dbt compile .* failed"):
        run_dbt(settings, ["compile", "--inline", "select * from {{ ref('no_such_model') }}"])


def test_build_manifest_writes_the_manifest_cosmos_reads(settings):
    manifest_path = build_manifest(settings)

    manifest = json.loads(manifest_path.read_text())
    assert manifest_path == settings.dbt_manifest_path
    assert "model.dataflow.customer_360" in manifest["nodes"]
    assert "snapshot.dataflow.customers_snapshot" in manifest["nodes"]
