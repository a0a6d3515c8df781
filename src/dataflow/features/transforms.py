"""The ``customer_features`` transforms: pure ``DataFrame -> DataFrame`` functions.

They build no session and do no I/O, so the same code runs on AWS Glue, on local Spark and in
the unit tests on small frames. Inputs are the marts' columns (see :mod:`.schema`).

The RFM rules are those of ``dbt/models/marts/analytics/customer_360.sql`` (a test holds the
two equal for every customer): over completed, valid transactions with ``transaction_at <
as_of``; recency from the UTC dates of ``as_of`` and of the last purchase; a customer without
purchases scores 1/1/1.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from dataflow.features.schema import (
    DATA_VERSION,
    FEATURE_COLUMNS,
    FEATURE_PARTITION_COLUMNS,
    SUMMARY_COLUMNS,
    spark_type,
)

# (lower bound, score), highest first: the first bound the value reaches gives the score,
# otherwise 1. Recency is "at most this many days", the others "at least this much".
RECENCY_MAX_DAYS = ((30, 5), (60, 4), (90, 3), (180, 2))
FREQUENCY_MIN_TRANSACTIONS = ((50, 5), (20, 4), (10, 3), (5, 2))
MONETARY_MIN_REVENUE = ((10000, 5), (5000, 4), (1000, 3), (500, 2))
VALUE_SEGMENT_MIN_RFM = ((12, "champions"), (9, "loyal_customers"), (6, "potential_loyalists"))
LOWEST_VALUE_SEGMENT = "at_risk"

REVENUE_TYPE = "decimal(18,2)"


def _F():
    from pyspark.sql import functions as F

    return F


def utc_date(instant: datetime) -> date:
    """Calendar date of ``instant`` in UTC (naive datetimes are taken as UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).date()


PURCHASE_COLUMNS = ("customer_id", "product_id", "transaction_amount", "transaction_date")
QUARTERS = (1, 2, 3, 4)


def completed_before(transactions, as_of: datetime):
    """Completed transactions with ``transaction_at < as_of``, the columns the features use.

    The filter columns are not selected, so a JDBC source filters in the database and never
    sends them.
    """
    F = _F()
    completed = transactions.where(F.col("is_completed") & (F.col("transaction_at") < F.lit(as_of)))
    return completed.select(*PURCHASE_COLUMNS)


def with_product_category(purchases, products):
    """Each purchase with its product's category (products are few: broadcast)."""
    F = _F()
    categories = products.select("product_id", "product_category")
    return purchases.join(F.broadcast(categories), "product_id", "left")


def _cents():
    F = _F()
    return (F.col("transaction_amount") * 100).cast("long")


def _from_cents(column):
    F = _F()
    return (F.col(column).cast("decimal(20,0)") / 100).cast(REVENUE_TYPE)


def _per_customer_and_category(purchases):
    """First level: sums in integer cents per (customer, category) — fixed-width and exact."""
    F = _F()
    cents = _cents()
    quarter_sums = (
        F.sum(F.when(F.quarter("transaction_date") == q, cents)).alias(f"q{q}_cents")
        for q in QUARTERS
    )
    return purchases.groupBy("customer_id", "product_category").agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(cents).alias("cents"),
        F.sum(cents * cents).alias("cents_squared"),
        F.min("transaction_date").alias("first_date"),
        F.max("transaction_date").alias("last_date"),
        *quarter_sums,
    )


def _sample_stddev(n, total, squares):
    """Sample standard deviation in currency units from exact cent sums (null for n < 2)."""
    F = _F()
    exact = "decimal(38,0)"
    numerator = n.cast(exact) * squares.cast(exact) - total.cast(exact) * total.cast(exact)
    variance = numerator.cast("double") / (n * (n - 1)).cast("double")
    return F.when(n > 1, F.sqrt(variance) / 100)


def purchase_metrics(purchases):
    """One row per customer with at least one purchase: counts, revenue, dates, quarters.

    Two aggregation levels — per (customer, category), then per customer — give the distinct
    category count without a distinct aggregate (which Spark plans as an Expand that doubles
    every row), and sums in integer cents keep the aggregation buffers fixed-width.
    """
    F = _F()
    level = _per_customer_and_category(purchases)
    totals = level.groupBy("customer_id").agg(
        F.sum("n").alias("total_transactions"),
        F.sum("cents").alias("cents"),
        F.sum("cents_squared").alias("cents_squared"),
        F.min("first_date").alias("first_purchase_date"),
        F.max("last_date").alias("last_purchase_date"),
        *(F.sum(f"q{q}_cents").alias(f"q{q}_cents") for q in QUARTERS),
        F.count("product_category").cast("int").alias("category_diversity"),  # non-null only
    )
    n, cents = F.col("total_transactions"), F.col("cents")
    return totals.select(
        "customer_id",
        "total_transactions",
        _from_cents("cents").alias("total_revenue"),
        _sample_stddev(n, cents, F.col("cents_squared")).alias("order_value_std"),
        "first_purchase_date",
        "last_purchase_date",
        *(
            F.coalesce(_from_cents(f"q{q}_cents"), F.lit(0).cast(REVENUE_TYPE)).alias(
                f"q{q}_revenue"
            )
            for q in QUARTERS
        ),
        "category_diversity",
    )


def with_purchase_metrics(customers, metrics):
    """Every customer with their metrics; customers without purchases get zeros and nulls."""
    F = _F()
    zero = F.lit(0).cast(REVENUE_TYPE)
    joined = customers.select("customer_id", "customer_segment").join(
        metrics, "customer_id", "left"
    )
    return joined.withColumns(
        {
            "total_transactions": F.coalesce("total_transactions", F.lit(0).cast("bigint")),
            "total_revenue": F.coalesce("total_revenue", zero),
            "category_diversity": F.coalesce("category_diversity", F.lit(0)),
            **{f"q{q}_revenue": F.coalesce(f"q{q}_revenue", zero) for q in (1, 2, 3, 4)},
        }
    )


def _score(value, bounds, at_most: bool = False):
    F = _F()
    expr = None
    for bound, score in bounds:
        condition = value <= bound if at_most else value >= bound
        expr = F.when(condition, score) if expr is None else expr.when(condition, score)
    return expr.otherwise(1).cast("int")


def with_rfm_scores(customers, as_of: datetime):
    """Recency, frequency and monetary scores, their sum and the value segment (customer_360)."""
    F = _F()
    days_since_last = F.datediff(F.lit(utc_date(as_of)), F.col("last_purchase_date"))
    scored = customers.withColumns(
        {
            # No purchase: the day difference is null and falls through to the lowest score.
            "recency_score": _score(days_since_last, RECENCY_MAX_DAYS, at_most=True),
            "frequency_score": _score(F.col("total_transactions"), FREQUENCY_MIN_TRANSACTIONS),
            "monetary_score": _score(F.col("total_revenue"), MONETARY_MIN_REVENUE),
        }
    )
    rfm = F.col("recency_score") + F.col("frequency_score") + F.col("monetary_score")
    segment = None
    for bound, name in VALUE_SEGMENT_MIN_RFM:
        segment = (F if segment is None else segment).when(F.col("rfm_score") >= bound, name)
    return scored.withColumn("rfm_score", rfm.cast("int")).withColumn(
        "customer_value_segment", segment.otherwise(LOWEST_VALUE_SEGMENT)
    )


def with_order_statistics(customers):
    """Average order value, and the mean gap in days between consecutive purchase dates.

    The mean of consecutive gaps telescopes to ``(last - first) / (n - 1)``, so no window over
    every transaction is needed. Null with fewer than two purchases.
    """
    F = _F()
    n = F.col("total_transactions")
    average = F.round(F.col("total_revenue") / n, 2).cast(REVENUE_TYPE)
    span_days = F.datediff("last_purchase_date", "first_purchase_date").cast("double")
    return customers.withColumns(
        {
            "avg_order_value": F.when(n > 0, average).otherwise(F.lit(0).cast(REVENUE_TYPE)),
            "avg_days_between_purchases": F.when(n > 1, span_days / (n - 1)),
        }
    )


def with_run_columns(frame, as_of: datetime, processing_timestamp: datetime, data_version: str):
    """``as_of``, ``processing_timestamp`` and ``data_version`` as constant columns."""
    F = _F()
    return frame.withColumns(
        {
            "as_of": F.lit(as_of).cast("timestamp"),
            "processing_timestamp": F.lit(processing_timestamp).cast("timestamp"),
            "data_version": F.lit(data_version),
        }
    )


def in_schema_order(frame, columns):
    """``frame`` with exactly ``columns`` (name, Glue type), cast to their types, in order."""
    F = _F()
    return frame.select(*(F.col(name).cast(spark_type(kind)).alias(name) for name, kind in columns))


def customer_features(
    customers,
    purchases,
    products,
    as_of: datetime,
    processing_timestamp: datetime,
    data_version: str = DATA_VERSION,
):
    """One row per customer of ``customers`` with the features as of ``as_of``.

    ``purchases``: the customers' completed transactions before ``as_of``
    (:func:`completed_before`).
    """
    categorized = with_product_category(purchases, products)
    features = with_purchase_metrics(customers, purchase_metrics(categorized))
    features = with_order_statistics(with_rfm_scores(features, as_of))
    features = with_run_columns(features, as_of, processing_timestamp, data_version)
    return in_schema_order(features, FEATURE_COLUMNS + FEATURE_PARTITION_COLUMNS)


def features_summary(
    features, as_of: datetime, processing_timestamp: datetime, data_version: str = DATA_VERSION
):
    """One row: customers, mean RFM score and platform revenue of a features snapshot."""
    F = _F()
    summary = features.groupBy().agg(
        F.count(F.lit(1)).alias("total_customers"),
        F.avg("rfm_score").alias("avg_rfm_score"),
        F.coalesce(F.sum("total_revenue"), F.lit(0)).alias("total_platform_revenue"),
    )
    summary = with_run_columns(summary, as_of, processing_timestamp, data_version)
    summary = summary.withColumn("analysis_date", F.lit(utc_date(as_of)))
    return in_schema_order(summary, SUMMARY_COLUMNS)
