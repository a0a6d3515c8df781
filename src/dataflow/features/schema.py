"""Schemas of the job's inputs and outputs, in Spark and in Glue Data Catalog types.

One list per table, ``(name, Glue/Hive type)``; the Spark schema is derived from it, so the
parquet files, the catalog table the job registers and ``aws/cloudformation/glue.yaml`` agree
(a unit test holds the template to these lists).
"""

from __future__ import annotations

FEATURES_TABLE = "customer_features"
SUMMARY_TABLE = "customer_features_summary"

# Partition columns: last in the Spark schema (as Spark writes them), partition keys in Glue.
FEATURE_PARTITION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer_value_segment", "string"),
    ("customer_segment", "string"),
)

FEATURE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer_id", "bigint"),
    ("recency_score", "int"),
    ("frequency_score", "int"),
    ("monetary_score", "int"),
    ("rfm_score", "int"),
    ("total_transactions", "bigint"),
    ("total_revenue", "decimal(18,2)"),
    ("avg_order_value", "decimal(18,2)"),
    ("order_value_std", "double"),
    ("first_purchase_date", "date"),
    ("last_purchase_date", "date"),
    ("q1_revenue", "decimal(18,2)"),
    ("q2_revenue", "decimal(18,2)"),
    ("q3_revenue", "decimal(18,2)"),
    ("q4_revenue", "decimal(18,2)"),
    ("category_diversity", "int"),
    ("avg_days_between_purchases", "double"),
    ("as_of", "timestamp"),
    ("processing_timestamp", "timestamp"),
    ("data_version", "string"),
)

SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("total_customers", "bigint"),
    ("avg_rfm_score", "double"),
    ("total_platform_revenue", "decimal(18,2)"),
    ("analysis_date", "date"),
    ("as_of", "timestamp"),
    ("processing_timestamp", "timestamp"),
    ("data_version", "string"),
)

# Version of the feature definitions: change it when a rule or column changes.
DATA_VERSION = "customer_features/1"


def spark_type(glue_type: str):
    """The Spark ``DataType`` of a Glue/Hive column type."""
    from pyspark.sql import types as T

    if glue_type.startswith("decimal("):
        precision, scale = glue_type[len("decimal(") : -1].split(",")
        return T.DecimalType(int(precision), int(scale))
    return {
        "bigint": T.LongType(),
        "int": T.IntegerType(),
        "double": T.DoubleType(),
        "string": T.StringType(),
        "date": T.DateType(),
        "timestamp": T.TimestampType(),
        "boolean": T.BooleanType(),
    }[glue_type]


def struct(columns) -> object:
    """A Spark ``StructType`` of ``(name, glue type)`` pairs."""
    from pyspark.sql import types as T

    return T.StructType([T.StructField(name, spark_type(kind), True) for name, kind in columns])


def features_struct():
    """Spark schema of ``customer_features`` rows, partition columns last."""
    return struct(FEATURE_COLUMNS + FEATURE_PARTITION_COLUMNS)


def summary_struct():
    """Spark schema of the one ``customer_features_summary`` row."""
    return struct(SUMMARY_COLUMNS)


# --- inputs (the columns the job reads from the marts) ------------------------------------
CUSTOMER_INPUT_COLUMNS = (
    ("customer_id", "bigint"),
    ("customer_segment", "string"),
    ("as_of", "timestamp"),
)
TRANSACTION_INPUT_COLUMNS = (
    ("customer_id", "bigint"),
    ("product_id", "bigint"),
    ("transaction_amount", "decimal(14,2)"),
    ("transaction_at", "timestamp"),
    ("transaction_date", "date"),
    ("is_completed", "boolean"),
)
PRODUCT_INPUT_COLUMNS = (("product_id", "bigint"), ("product_category", "string"))
