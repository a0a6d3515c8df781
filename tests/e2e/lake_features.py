"""Reading the customer_features snapshot back from the lake, and an independent SQL model.

The lake side reads what readers read: the Glue table's location and partitions, then the
parquet objects from the bucket with boto3 + pyarrow. The SQL side computes every feature from
the marts with plain SQL (written from the issue's definitions, not from the Spark code).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

DATABASE = "dataflow_lake"

FEATURES_SQL = """
with tx as (
    select f.customer_id, f.transaction_amount, f.transaction_date, p.product_category
    from marts.fct_transactions f
    left join marts.dim_products p on p.product_id = f.product_id
    where f.is_completed and f.transaction_at < %(as_of)s
)
select
    c.customer_id,
    c.customer_segment,
    count(tx.customer_id) as total_transactions,
    coalesce(sum(tx.transaction_amount), 0) as total_revenue,
    stddev_samp(tx.transaction_amount) as order_value_std,
    min(tx.transaction_date) as first_purchase_date,
    max(tx.transaction_date) as last_purchase_date,
    coalesce(sum(tx.transaction_amount)
        filter (where extract(quarter from tx.transaction_date) = 1), 0) as q1_revenue,
    coalesce(sum(tx.transaction_amount)
        filter (where extract(quarter from tx.transaction_date) = 2), 0) as q2_revenue,
    coalesce(sum(tx.transaction_amount)
        filter (where extract(quarter from tx.transaction_date) = 3), 0) as q3_revenue,
    coalesce(sum(tx.transaction_amount)
        filter (where extract(quarter from tx.transaction_date) = 4), 0) as q4_revenue,
    count(distinct tx.product_category) as category_diversity
from marts.customer_360 c
left join tx on tx.customer_id = c.customer_id
group by c.customer_id, c.customer_segment
"""


def expected_features(conn, as_of: datetime) -> dict[int, dict]:
    """Every customer's features from the marts, in SQL plus two derived values."""
    cur = conn.execute(FEATURES_SQL, {"as_of": as_of})
    names = [d.name for d in cur.description]
    rows = {}
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        n = row["total_transactions"]
        average = row["total_revenue"] / n if n else Decimal(0)
        row["avg_order_value"] = average.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        span = row["last_purchase_date"] - row["first_purchase_date"] if n else None
        row["avg_days_between_purchases"] = span.days / (n - 1) if n > 1 else None
        row["order_value_std"] = float(row["order_value_std"]) if n > 1 else None
        rows[row["customer_id"]] = row
    return rows


def features_table(glue) -> dict:
    return glue.get_table(DatabaseName=DATABASE, Name="customer_features")["Table"]


def split_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def list_keys(s3, bucket: str, prefix: str) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return sorted(keys)


def read_parquet(s3, bucket: str, key: str) -> list[dict]:
    import pyarrow.parquet as pq

    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body)).to_pylist()


def hive_values(relative_key: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in relative_key.split("/")[:-1])


def lake_snapshot(s3, glue) -> tuple[str, dict[str, list[dict]]]:
    """The features table's location and ``{relative key: rows (with partition columns)}``."""
    bucket, prefix = split_uri(features_table(glue)["StorageDescriptor"]["Location"])
    files = {}
    for key in list_keys(s3, bucket, prefix):
        relative = key[len(prefix) :]
        partition = hive_values(relative)
        files[relative] = [{**row, **partition} for row in read_parquet(s3, bucket, key)]
    return f"s3://{bucket}/{prefix}", files


def rows_by_customer(files: dict[str, list[dict]]) -> dict[int, dict]:
    rows = [row for part in files.values() for row in part]
    by_id = {row["customer_id"]: row for row in rows}
    assert len(by_id) == len(rows), "a customer appears in more than one row"
    return by_id


def utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def forget_registered_features(glue) -> None:
    """Clear the as_of the catalog's features tables hold, as before any run (test set-up).

    A module that empties the warehouse starts the marts' history anew; without this, the
    features an earlier module registered at a later as_of (e.g. the web-UI run of the
    current hour) would win over this module's, as they would in production.
    """
    from dataflow.features.catalog import (
        AS_OF_PARAMETER,
        DATABASE,
        FEATURE_COLUMNS,
        FEATURES_TABLE,
        SNAPSHOT_PARAMETER,
        SUMMARY_COLUMNS,
        SUMMARY_TABLE,
        table_input,
    )

    for name, columns in ((FEATURES_TABLE, FEATURE_COLUMNS), (SUMMARY_TABLE, SUMMARY_COLUMNS)):
        table = glue.get_table(DatabaseName=DATABASE, Name=name)["Table"]
        kept = {
            k: v
            for k, v in table.get("Parameters", {}).items()
            if k not in (AS_OF_PARAMETER, SNAPSHOT_PARAMETER)
        }
        location = table["StorageDescriptor"]["Location"]
        document = table_input(name, columns, location, kept)
        glue.update_table(DatabaseName=DATABASE, TableInput=document)
