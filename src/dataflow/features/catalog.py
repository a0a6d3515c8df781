"""Registering a features snapshot in the Glue Data Catalog (database ``dataflow_lake``).

:func:`register_snapshot` is the ``register_lake_partitions`` task, in both modes. For the
snapshot a run wrote (``lake.snapshot_prefix``) it:

1. lists its files and their partitions (a snapshot without files is an error);
2. updates each table: schema from :mod:`dataflow.features.schema`, location = the snapshot;
3. makes the features table's partitions exactly the snapshot's (update the ones that stay,
   create new ones, drop the ones that vanished), each pointing into the snapshot;
4. deletes every other snapshot under the tables' ``runs/`` (superseded runs, reruns).

Readers go through the catalog, so they see the old snapshot (whose files stay until step 4)
or the new one, never a run half-written. A snapshot older than the one registered (a late
backfill) is not registered: its files are removed and the catalog keeps the newer features.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from dataflow.features import lake
from dataflow.features.schema import (
    FEATURE_COLUMNS,
    FEATURE_PARTITION_COLUMNS,
    FEATURES_TABLE,
    SUMMARY_COLUMNS,
    SUMMARY_TABLE,
)
from dataflow.settings import Settings

DATABASE = "dataflow_lake"
PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    },
    "Compressed": True,
}
SNAPSHOT_PARAMETER = "dataflow.snapshot_id"
AS_OF_PARAMETER = "dataflow.as_of"


class EmptySnapshotError(RuntimeError):
    """The snapshot to register has no files (the job wrote nothing, or it was removed)."""


class MissingCatalogError(RuntimeError):
    """The catalog database or table the snapshot goes into does not exist."""


@dataclass(frozen=True)
class Registration:
    """What ``register_snapshot`` did."""

    snapshot_id: str
    registered: bool
    location: str
    partitions: int
    files: int
    removed_files: int
    reason: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _columns(columns) -> list[dict]:
    return [{"Name": name, "Type": kind} for name, kind in columns]


def table_input(name: str, columns, location: str, parameters: dict) -> dict:
    """A Glue ``TableInput`` for a parquet table at ``location``."""
    document = {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "parquet.compression": "SNAPPY", **parameters},
        "StorageDescriptor": {**PARQUET, "Columns": _columns(columns), "Location": location},
    }
    if name == FEATURES_TABLE:
        document["PartitionKeys"] = _columns(FEATURE_PARTITION_COLUMNS)
    return document


def _partition_input(values: tuple[str, ...], location: str) -> dict:
    descriptor = {**PARQUET, "Columns": _columns(FEATURE_COLUMNS), "Location": location}
    return {"Values": list(values), "StorageDescriptor": descriptor}


def current_partitions(glue) -> dict[tuple[str, ...], str]:
    """``{values: location}`` of the features table's partitions."""
    found = {}
    paginator = glue.get_paginator("get_partitions")
    for page in paginator.paginate(DatabaseName=DATABASE, TableName=FEATURES_TABLE):
        for partition in page["Partitions"]:
            found[tuple(partition["Values"])] = partition["StorageDescriptor"]["Location"]
    return found


def _batches(items: list, size: int):
    for first in range(0, len(items), size):
        yield items[first : first + size]


def replace_partitions(glue, wanted: dict[tuple[str, ...], str]) -> None:
    """Make the features table's partitions exactly ``wanted`` (values -> location)."""
    existing = current_partitions(glue)
    keep = [v for v in wanted if v in existing]
    new = [v for v in wanted if v not in existing]
    gone = [v for v in existing if v not in wanted]
    target = {"DatabaseName": DATABASE, "TableName": FEATURES_TABLE}
    for batch in _batches(keep, 100):
        entries = [
            {"PartitionValueList": list(v), "PartitionInput": _partition_input(v, wanted[v])}
            for v in batch
        ]
        _check(glue.batch_update_partition(**target, Entries=entries), "update")
    for batch in _batches(new, 100):
        inputs = [_partition_input(v, wanted[v]) for v in batch]
        _check(glue.batch_create_partition(**target, PartitionInputList=inputs), "create")
    for batch in _batches(gone, 25):
        values = [{"Values": list(v)} for v in batch]
        _check(glue.batch_delete_partition(**target, PartitionsToDelete=values), "delete")


def _check(response: dict, action: str) -> None:
    errors = response.get("Errors") or []
    if errors:
        raise RuntimeError(f"Glue batch {action} of partitions failed: {errors[:3]}")


def registered_as_of(glue) -> datetime | None:
    """``as_of`` of the snapshot the features table points at (None before the first run)."""
    from dataflow.features.job import parse_instant

    try:
        table = glue.get_table(DatabaseName=DATABASE, Name=FEATURES_TABLE)["Table"]
    except glue.exceptions.EntityNotFoundException as exc:
        raise MissingCatalogError(
            f"Glue table {DATABASE}.{FEATURES_TABLE} does not exist: deploy the glue stack "
            "(`dataflow infra deploy`; locally `dataflow up` does it)"
        ) from exc
    value = table.get("Parameters", {}).get(AS_OF_PARAMETER)
    return parse_instant(value) if value else None


def delete_other_snapshots(settings: Settings, keep: str | None) -> int:
    """Delete every snapshot but ``keep`` under both tables' ``runs/``; files deleted."""
    from dataflow.aws import list_keys, s3_client

    s3, removed = s3_client(settings), 0
    for root in (lake.FEATURES_ROOT, lake.SUMMARY_ROOT):
        kept = lake.snapshot_prefix(root, keep) if keep else None
        doomed = [
            k for k in list_keys(settings, settings.lake_bucket, lake.runs_prefix(root))
            if not (kept and k.startswith(kept))
        ]  # fmt: skip
        for batch in _batches(doomed, 1000):
            objects = [{"Key": key} for key in batch]
            s3.delete_objects(Bucket=settings.lake_bucket, Delete={"Objects": objects})
        removed += len(doomed)
    return removed


def _snapshot_files(settings: Settings, snapshot_id: str) -> tuple[list[str], list[str]]:
    from dataflow.aws import list_keys

    features = lake.snapshot_prefix(lake.FEATURES_ROOT, snapshot_id)
    summary = lake.snapshot_prefix(lake.SUMMARY_ROOT, snapshot_id)
    found = [
        [k for k in list_keys(settings, settings.lake_bucket, p) if k.endswith(".parquet")]
        for p in (features, summary)
    ]
    if not all(found):
        raise EmptySnapshotError(
            f"snapshot {snapshot_id} has no parquet files under s3://{settings.lake_bucket}/"
            f"{features} and {summary}: the job wrote nothing there, or a newer run already "
            "replaced and removed it — rerun trigger_glue_etl"
        )
    return found[0], found[1]


def register_snapshot(settings: Settings, snapshot_id: str, as_of: datetime) -> Registration:
    """Point both tables and the partitions at ``snapshot_id``; drop the snapshots replaced."""
    from dataflow.aws import aws_client

    glue = aws_client(settings, "glue")
    features, summary = _snapshot_files(settings, snapshot_id)
    location = lake.s3_uri(settings, lake.snapshot_prefix(lake.FEATURES_ROOT, snapshot_id))
    newer = registered_as_of(glue)
    if newer is not None and newer > as_of:
        current = glue.get_table(DatabaseName=DATABASE, Name=FEATURES_TABLE)["Table"]
        kept = current["Parameters"].get(SNAPSHOT_PARAMETER)
        removed = delete_other_snapshots(settings, keep=kept)
        reason = f"the catalog already holds features as of {newer.isoformat()}"
        return Registration(snapshot_id, False, location, 0, len(features), removed, reason)
    prefix = lake.snapshot_prefix(lake.FEATURES_ROOT, snapshot_id)
    partitions = {
        values: lake.s3_uri(settings, key)
        for values, key in lake.partition_values(features, prefix).items()
    }
    parameters = {SNAPSHOT_PARAMETER: snapshot_id, AS_OF_PARAMETER: as_of.isoformat()}
    replace_partitions(glue, partitions)
    for name, columns, root in (
        (FEATURES_TABLE, FEATURE_COLUMNS, lake.FEATURES_ROOT),
        (SUMMARY_TABLE, SUMMARY_COLUMNS, lake.SUMMARY_ROOT),
    ):
        where = lake.s3_uri(settings, lake.snapshot_prefix(root, snapshot_id))
        table = table_input(name, columns, where, parameters)
        glue.update_table(DatabaseName=DATABASE, TableInput=table)
    removed = delete_other_snapshots(settings, keep=snapshot_id)
    files = len(features) + len(summary)
    return Registration(snapshot_id, True, location, len(partitions), files, removed)
