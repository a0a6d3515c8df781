"""Where the features live in the lake bucket, and how a run's snapshot gets there.

Layout (the same whether Glue writes ``s3://`` itself or local Spark's output is published)::

    s3://<lake>/analytics/customer_features/runs/<snapshot id>/
        customer_value_segment=<v>/customer_segment=<c>/part-NNNNN[...].snappy.parquet
    s3://<lake>/analytics/customer_features_summary/runs/<snapshot id>/part-NNNNN[...].parquet

A snapshot id is ``<as_of, compact UTC>-<8 hex>``: new for every run, so a run never writes
where readers are reading. :mod:`dataflow.features.catalog` then points the catalog at it and
removes the snapshots it replaced.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

from dataflow.settings import Settings

ANALYTICS_PREFIX = "analytics/"
FEATURES_ROOT = f"{ANALYTICS_PREFIX}customer_features/"
SUMMARY_ROOT = f"{ANALYTICS_PREFIX}customer_features_summary/"
ARTIFACTS_PREFIX = "artifacts/glue-scripts/"  # GlueJobOperator's upload prefix
# Spark's part files carry a per-write UUID; published names drop it, so a rerun of the same
# data publishes the same file names.
_SPARK_PART = re.compile(r"^(part-\d+)-[0-9a-f-]{36}(\..+)$")


def new_snapshot_id(as_of: datetime) -> str:
    """A fresh snapshot id for a run as of ``as_of``."""
    return f"{as_of:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def snapshot_prefix(root: str, snapshot_id: str) -> str:
    return f"{root}runs/{snapshot_id}/"


def runs_prefix(root: str) -> str:
    return f"{root}runs/"


def s3_uri(settings: Settings, key: str) -> str:
    return f"s3://{settings.lake_bucket}/{key}"


def published_name(relative: str) -> str:
    """``relative`` with the write UUID of Spark part-file names removed."""
    folder, _, name = relative.rpartition("/")
    match = _SPARK_PART.match(name)
    name = f"{match.group(1)}{match.group(2)}" if match else name
    return f"{folder}/{name}" if folder else name


def data_files(folder: Path) -> list[Path]:
    """The parquet files Spark wrote under ``folder`` (no ``_SUCCESS``, no ``.crc``)."""
    return sorted(p for p in folder.rglob("*.parquet") if not p.name.startswith((".", "_")))


def publish_folder(settings: Settings, folder: Path, prefix: str) -> list[str]:
    """Upload ``folder``'s parquet files under ``prefix`` in the lake bucket; the keys."""
    from dataflow.aws import s3_client

    s3 = s3_client(settings)
    keys = []
    for path in data_files(folder):
        key = prefix + published_name(path.relative_to(folder).as_posix())
        s3.upload_file(str(path), settings.lake_bucket, key)
        keys.append(key)
    if not keys:
        raise FileNotFoundError(f"no parquet files under {folder}: the job wrote nothing")
    return keys


def partition_values(keys: list[str], prefix: str) -> dict[tuple[str, ...], str]:
    """``{partition values: partition prefix}`` of Hive-style keys under ``prefix``."""
    partitions = {}
    for key in keys:
        parts = key[len(prefix) :].split("/")[:-1]
        values = tuple(unquote(part.split("=", 1)[1]) for part in parts)  # Spark escapes them
        partitions[values] = prefix + "".join(f"{part}/" for part in parts)
    return partitions
