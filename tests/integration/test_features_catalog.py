"""Registering features snapshots in the Glue Data Catalog of the moto server.

Snapshots here are small hand-made parquet files in the lake layout (the job's own output is
checked in tests/e2e); what is under test is the switch: table and partitions point at the
new snapshot, vanished partitions go, replaced snapshots are deleted, old ones never win.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.integration

AS_OF = datetime(2031, 1, 1, 10, tzinfo=UTC)


@pytest.fixture
def glue(settings):
    from dataflow.aws import aws_client

    return aws_client(settings, "glue")


@pytest.fixture
def empty_lake(settings, glue):
    """No snapshot registered, no partitions, no snapshot files."""
    from dataflow.features import catalog, lake
    from dataflow.features.schema import FEATURE_COLUMNS, FEATURES_TABLE

    catalog.replace_partitions(glue, {})
    initial = lake.s3_uri(settings, lake.FEATURES_ROOT)
    table = catalog.table_input(FEATURES_TABLE, FEATURE_COLUMNS, initial, {})
    glue.update_table(DatabaseName=catalog.DATABASE, TableInput=table)
    catalog.delete_other_snapshots(settings, keep=None)


def parquet_bytes(rows: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buffer, compression="snappy")
    return buffer.getvalue()


def write_snapshot(settings, s3, snapshot_id: str, partitions: list[tuple[str, str]]) -> None:
    from dataflow.features import lake

    features = lake.snapshot_prefix(lake.FEATURES_ROOT, snapshot_id)
    for i, (value_segment, segment) in enumerate(partitions):
        key = (
            f"{features}customer_value_segment={value_segment}/customer_segment={segment}/"
            "part-00000.c000.snappy.parquet"
        )
        body = parquet_bytes([{"customer_id": i}])
        s3.put_object(Bucket=settings.lake_bucket, Key=key, Body=body)
    summary = lake.snapshot_prefix(lake.SUMMARY_ROOT, snapshot_id)
    body = parquet_bytes([{"total_customers": len(partitions)}])
    s3.put_object(Bucket=settings.lake_bucket, Key=f"{summary}part-00000.snappy.parquet", Body=body)


def registered(glue) -> tuple[str, dict]:
    from dataflow.features import catalog

    table = glue.get_table(DatabaseName=catalog.DATABASE, Name="customer_features")["Table"]
    return table["StorageDescriptor"]["Location"], catalog.current_partitions(glue)


def test_registering_a_snapshot_points_the_tables_and_partitions_at_it(
    settings, s3, glue, empty_lake
):
    from dataflow.features.catalog import register_snapshot

    write_snapshot(settings, s3, "s1", [("champions", "basic"), ("at_risk", "premium")])

    result = register_snapshot(settings, "s1", AS_OF)

    location, partitions = registered(glue)
    root = f"s3://{settings.lake_bucket}/analytics/customer_features/runs/s1/"
    assert location == root
    assert partitions == {
        ("champions", "basic"): f"{root}customer_value_segment=champions/customer_segment=basic/",
        ("at_risk", "premium"): f"{root}customer_value_segment=at_risk/customer_segment=premium/",
    }
    summary = glue.get_table(DatabaseName="dataflow_lake", Name="customer_features_summary")
    assert summary["Table"]["StorageDescriptor"]["Location"].endswith(
        "/analytics/customer_features_summary/runs/s1/"
    )
    assert (result.registered, result.partitions, result.files) == (True, 2, 3)


def test_a_newer_snapshot_replaces_the_partitions_and_removes_the_old_files(
    settings, s3, glue, empty_lake
):
    from dataflow.aws import list_keys
    from dataflow.features.catalog import register_snapshot

    write_snapshot(settings, s3, "s1", [("champions", "basic"), ("at_risk", "premium")])
    register_snapshot(settings, "s1", AS_OF)
    write_snapshot(settings, s3, "s2", [("champions", "basic")])

    result = register_snapshot(settings, "s2", AS_OF + timedelta(hours=1))

    location, partitions = registered(glue)
    assert location.endswith("/runs/s2/")
    assert list(partitions) == [("champions", "basic")]  # the vanished partition is gone
    keys = list_keys(settings, settings.lake_bucket, "analytics/")
    assert keys and all("/runs/s2/" in key for key in keys)
    assert result.removed_files == 3


def test_an_older_snapshot_does_not_replace_newer_features(settings, s3, glue, empty_lake):
    from dataflow.aws import list_keys
    from dataflow.features.catalog import register_snapshot

    write_snapshot(settings, s3, "new", [("champions", "basic")])
    register_snapshot(settings, "new", AS_OF)
    write_snapshot(settings, s3, "late-backfill", [("at_risk", "basic")])

    result = register_snapshot(settings, "late-backfill", AS_OF - timedelta(hours=5))

    location, partitions = registered(glue)
    assert not result.registered and "already holds features" in result.reason
    assert location.endswith("/runs/new/") and list(partitions) == [("champions", "basic")]
    assert not [k for k in list_keys(settings, settings.lake_bucket, "analytics/") if "late" in k]


def test_a_snapshot_without_files_is_an_error_naming_it(settings, glue, empty_lake):
    from dataflow.features.catalog import EmptySnapshotError, register_snapshot

    with pytest.raises(EmptySnapshotError, match="snapshot missing-run has no parquet files"):
        register_snapshot(settings, "missing-run", AS_OF)
