"""The customer_features transforms on small frames with known answers (real local Spark)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from dataflow.features import transforms
from dataflow.features.schema import (
    CUSTOMER_INPUT_COLUMNS,
    PRODUCT_INPUT_COLUMNS,
    TRANSACTION_INPUT_COLUMNS,
    features_struct,
    struct,
    summary_struct,
)

AS_OF = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 1, 2, 5, tzinfo=UTC)


def customers(spark, rows):
    return spark.createDataFrame(
        [(cid, segment, AS_OF) for cid, segment in rows], struct(CUSTOMER_INPUT_COLUMNS)
    )


def products(spark, rows=((10, "books"), (11, "garden"), (12, "toys"))):
    return spark.createDataFrame(list(rows), struct(PRODUCT_INPUT_COLUMNS))


def transactions(spark, rows):
    """rows: (customer_id, product_id, amount, transaction_at[, is_completed])."""
    full = []
    for row in rows:
        cid, pid, amount, at, *rest = row
        completed = rest[0] if rest else True
        full.append((cid, pid, Decimal(amount), at, at.astimezone(UTC).date(), completed))
    return spark.createDataFrame(full, struct(TRANSACTION_INPUT_COLUMNS))


def days_before(days: int, hour: int = 1) -> datetime:
    """An instant ``days`` UTC calendar days before AS_OF's date (01:00 is before AS_OF)."""
    day = AS_OF.date() - timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_only_completed_transactions_before_as_of_count(spark):
    frame = transactions(
        spark,
        [
            (1, 10, "5.00", AS_OF - timedelta(microseconds=1)),
            (1, 10, "6.00", AS_OF),  # as_of is exclusive
            (1, 10, "7.00", AS_OF - timedelta(hours=1), False),  # refunded / not completed
        ],
    )

    kept = transforms.completed_before(frame, AS_OF)

    assert [r["transaction_amount"] for r in kept.collect()] == [Decimal("5.00")]


def test_purchase_metrics_of_one_customer(spark):
    from pyspark.testing import assertDataFrameEqual

    frame = transforms.with_product_category(
        transactions(
            spark,
            [
                (1, 10, "100.00", datetime(2026, 2, 10, 9, tzinfo=UTC)),  # Q1
                (1, 11, "50.00", datetime(2026, 5, 1, 9, tzinfo=UTC)),  # Q2
                (1, 10, "30.00", datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),  # Q4
            ],
        ),
        products(spark),
    )

    metrics = transforms.purchase_metrics(frame)

    expected = spark.createDataFrame(
        [
            (
                1,
                3,
                Decimal("180.00"),
                36.055512754639892,
                date(2026, 2, 10),
                date(2026, 10, 31),
                Decimal("100.00"),
                Decimal("50.00"),
                Decimal("0.00"),
                Decimal("30.00"),
                2,
            )
        ],  # fmt: skip
        metrics.schema,
    )
    assertDataFrameEqual(metrics, expected, rtol=1e-12)


def scored(spark, cases):
    """Features of one customer per case; ``cases``: {customer_id: transaction rows}."""
    rows = [(cid, *row) for cid, tx in cases.items() for row in tx]
    features = transforms.customer_features(
        customers(spark, [(cid, "basic") for cid in cases]),
        transactions(spark, rows),
        products(spark),
        AS_OF,
        NOW,
    )
    return {r["customer_id"]: r for r in features.collect()}


def test_recency_score_follows_customer_360_bounds(spark):
    bounds = {0: 5, 30: 5, 31: 4, 60: 4, 61: 3, 90: 3, 91: 2, 180: 2, 181: 1, 400: 1}
    cases = {days: [(10, "1.00", days_before(days))] for days in bounds}

    got = scored(spark, cases)

    assert {days: got[days]["recency_score"] for days in bounds} == bounds


def test_frequency_score_follows_customer_360_bounds(spark):
    bounds = {1: 1, 4: 1, 5: 2, 9: 2, 10: 3, 19: 3, 20: 4, 49: 4, 50: 5}
    cases = {n: [(10, "1.00", days_before(1, h % 24)) for h in range(n)] for n in bounds}

    got = scored(spark, cases)

    assert {n: got[n]["frequency_score"] for n in bounds} == bounds


def test_monetary_score_follows_customer_360_bounds(spark):
    amounts = ["499.99", "500.00", "999.99", "1000.00", "4999.99", "5000.00", "9999.99", "10000.00"]
    cases = {i: [(10, amount, days_before(1))] for i, amount in enumerate(amounts)}

    got = scored(spark, cases)

    assert [got[i]["monetary_score"] for i in range(len(amounts))] == [1, 2, 2, 3, 3, 4, 4, 5]


# (days since the last purchase, purchases, amount each) -> (rfm score, value segment)
RFM_CASES = {
    (10, 50, "200.00"): (15, "champions"),  # 5 + 5 + 5 (total 10000)
    (10, 20, "250.00"): (13, "champions"),  # 5 + 4 + 4 (total 5000)
    (10, 20, "50.00"): (12, "champions"),  # 5 + 4 + 3 (total 1000)
    (45, 20, "50.00"): (11, "loyal_customers"),  # 4 + 4 + 3
    (100, 20, "50.00"): (9, "loyal_customers"),  # 2 + 4 + 3
    (45, 5, "100.00"): (8, "potential_loyalists"),  # 4 + 2 + 2 (total 500)
    (10, 1, "1.00"): (7, "potential_loyalists"),  # 5 + 1 + 1
    (100, 5, "100.00"): (6, "potential_loyalists"),  # 2 + 2 + 2
    (100, 5, "1.00"): (5, "at_risk"),  # 2 + 2 + 1
    (200, 5, "1.00"): (4, "at_risk"),  # 1 + 2 + 1
}


def test_rfm_score_and_value_segment(spark):
    # The last purchase is `days` ago; the others are on the same day, earlier hours.
    keys = list(RFM_CASES)
    cases = {
        i: [(10, amount, days_before(days, h % 24)) for h in range(n)]
        for i, (days, n, amount) in enumerate(keys)
    }

    got = scored(spark, cases)

    actual = {keys[i]: (r["rfm_score"], r["customer_value_segment"]) for i, r in got.items()}
    assert actual == RFM_CASES


def test_customer_without_purchases_scores_lowest_with_zero_totals(spark):
    row = transforms.customer_features(
        customers(spark, [(7, "premium")]), transactions(spark, []), products(spark), AS_OF, NOW
    ).first()

    assert row.asDict() == {
        "customer_id": 7,
        "recency_score": 1,
        "frequency_score": 1,
        "monetary_score": 1,
        "rfm_score": 3,
        "total_transactions": 0,
        "total_revenue": Decimal("0.00"),
        "avg_order_value": Decimal("0.00"),
        "order_value_std": None,
        "first_purchase_date": None,
        "last_purchase_date": None,
        "q1_revenue": Decimal("0.00"),
        "q2_revenue": Decimal("0.00"),
        "q3_revenue": Decimal("0.00"),
        "q4_revenue": Decimal("0.00"),
        "category_diversity": 0,
        "avg_days_between_purchases": None,
        "as_of": row["as_of"],
        "processing_timestamp": row["processing_timestamp"],
        "data_version": "customer_features/1",
        "customer_value_segment": "at_risk",
        "customer_segment": "premium",
    }


def test_average_gap_between_purchase_dates_and_order_value(spark):
    rows = [
        (1, 10, "10.00", days_before(40)),
        (1, 11, "20.00", days_before(30)),
        (1, 12, "35.00", days_before(10)),
        (2, 10, "9.99", days_before(3)),
    ]

    got = {
        r["customer_id"]: r
        for r in transforms.customer_features(
            customers(spark, [(1, "basic"), (2, "basic")]),
            transactions(spark, rows),
            products(spark),
            AS_OF,
            NOW,
        ).collect()
    }

    assert got[1]["avg_days_between_purchases"] == 15.0  # gaps 10 and 20 days
    assert got[1]["avg_order_value"] == Decimal("21.67")  # 65 / 3, rounded half up
    assert got[1]["category_diversity"] == 3
    assert got[2]["avg_days_between_purchases"] is None  # one purchase has no gap
    assert got[2]["avg_order_value"] == Decimal("9.99")


def test_features_have_the_catalog_schema_and_one_row_per_customer(spark):
    features = transforms.customer_features(
        customers(spark, [(1, "basic"), (2, "premium"), (3, "unknown")]),
        transactions(spark, [(1, 10, "1.00", days_before(1)), (1, 11, "2.00", days_before(2))]),
        products(spark),
        AS_OF,
        NOW,
    )

    def columns(schema):  # the catalog has names and types, not nullability
        return [(f.name, f.dataType) for f in schema.fields]

    assert columns(features.schema) == columns(features_struct())
    assert sorted(r["customer_id"] for r in features.collect()) == [1, 2, 3]


def test_summary_of_a_snapshot(spark):
    from pyspark.testing import assertDataFrameEqual

    features = transforms.customer_features(
        customers(spark, [(1, "basic"), (2, "premium")]),
        transactions(spark, [(1, 10, "1500.00", days_before(1))]),
        products(spark),
        AS_OF,
        NOW,
    )

    summary = transforms.features_summary(features, AS_OF, NOW)

    expected = spark.createDataFrame(
        [(2, 6.0, Decimal("1500.00"), date(2026, 11, 1), AS_OF, NOW, "customer_features/1")],
        summary_struct(),
    )
    assertDataFrameEqual(summary, expected)  # rfm (5+1+3 + 1+1+1) / 2 = 6
