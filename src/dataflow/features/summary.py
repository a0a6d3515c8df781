"""The demo summary's section on the customer features in the lake and the Glue catalog."""

from __future__ import annotations

import io

from dataflow.settings import Settings


def _summary_stats(settings: Settings, s3, location: str) -> dict:
    import pyarrow.parquet as pq

    prefix = location.removeprefix(f"s3://{settings.lake_bucket}/")
    keys = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=settings.lake_bucket, Prefix=prefix).get("Contents", [])
        if o["Key"].endswith(".parquet")
    ]
    if not keys:
        return {}
    body = s3.get_object(Bucket=settings.lake_bucket, Key=keys[0])["Body"].read()
    return pq.read_table(io.BytesIO(body)).to_pylist()[0]


def _partition_rows(settings: Settings, s3, glue) -> list[tuple]:
    """(value segment, customer segment, parquet files) of every registered partition."""
    from dataflow.features.catalog import current_partitions

    rows = []
    for values, location in sorted(current_partitions(glue).items()):
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        rows.append((values[0], values[1], sum(o["Key"].endswith(".parquet") for o in listed)))
    return rows


def print_features_summary(settings: Settings) -> None:
    """Feature rows, partitions, the catalog table and its location, the summary stats."""
    from dataflow.aws import aws_client
    from dataflow.features.catalog import DATABASE, SNAPSHOT_PARAMETER
    from dataflow.summary import print_table

    glue, s3 = aws_client(settings, "glue"), aws_client(settings, "s3")
    try:
        table = glue.get_table(DatabaseName=DATABASE, Name="customer_features")["Table"]
        summary = glue.get_table(DatabaseName=DATABASE, Name="customer_features_summary")["Table"]
    except glue.exceptions.EntityNotFoundException:
        print("\nCustomer features: the Glue catalog has no customer_features table yet")
        return
    snapshot = table.get("Parameters", {}).get(SNAPSHOT_PARAMETER, "none registered yet")
    stats = _summary_stats(settings, s3, summary["StorageDescriptor"]["Location"])
    print(f"""
Customer features (Glue-style PySpark job `customer_features`, mode {settings.glue_mode})
  catalog table  {DATABASE}.customer_features ({len(table["StorageDescriptor"]["Columns"])} \
columns, partitioned by customer_value_segment, customer_segment)
  location       {table["StorageDescriptor"]["Location"]}
  snapshot       {snapshot}
  feature rows   {stats.get("total_customers", 0)} (one per customer)""")
    print_table(
        "Partitions written (customer_value_segment / customer_segment)",
        _partition_rows(settings, s3, glue) or [("-", "-", 0)],
        ("value segment", "customer segment", "files"),
    )
    print_table(
        "Summary stats (dataflow_lake.customer_features_summary)",
        [(k, v) for k, v in stats.items()] or [("none", "")],
        ("stat", "value"),
    )
