"""The job's argument resolution, the lake layout helpers and the Glue library zip."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from datetime import UTC, datetime

from dataflow.features import lake
from dataflow.features.artifacts import LIBRARY_MODULES, library_zip, write_library_zip
from dataflow.features.job import resolve_arguments
from dataflow.settings import load_settings

ARGV = [
    "customer_features.py",
    "--JOB_NAME", "customer_features",
    "--as_of", "2026-11-01T02:00:00Z",
    "--features_path", "file:///tmp/f",
    "--summary_path", "file:///tmp/s",
    "--jdbc_partitions", "4",
    "--warehouse_jdbc_url", "jdbc:postgresql://127.0.0.1:5432/warehouse",
    "--job-bookmark-option", "job-bookmark-disable",  # Glue adds arguments of its own
]  # fmt: skip


def test_local_arguments_resolve_with_an_aware_utc_as_of():
    args = resolve_arguments(ARGV)

    assert args.as_of == datetime(2026, 11, 1, 2, tzinfo=UTC)
    assert (args.jdbc_partitions, args.warehouse_connection) == (4, None)
    assert args.warehouse_jdbc_url.startswith("jdbc:postgresql://")


def test_published_names_drop_the_spark_write_uuid():
    name = "customer_value_segment=x/customer_segment=y/part-00003-1b2c3d4e-aaaa-bbbb-cccc-0123456789ab.c000.snappy.parquet"  # noqa: E501

    assert lake.published_name(name) == (
        "customer_value_segment=x/customer_segment=y/part-00003.c000.snappy.parquet"
    )


def test_partition_values_come_from_the_hive_style_folders():
    prefix = "analytics/customer_features/runs/s1/"
    keys = [
        f"{prefix}customer_value_segment=at_risk/customer_segment=basic/part-00000.parquet",
        f"{prefix}customer_value_segment=loyal_customers/customer_segment=a%20b/part-1.parquet",
    ]

    assert lake.partition_values(keys, prefix) == {
        ("at_risk", "basic"): f"{prefix}customer_value_segment=at_risk/customer_segment=basic/",
        ("loyal_customers", "a b"): (
            f"{prefix}customer_value_segment=loyal_customers/customer_segment=a%20b/"
        ),
    }


def test_snapshot_ids_are_fresh_and_start_with_the_interval_end():
    as_of = datetime(2026, 11, 1, 2, tzinfo=UTC)

    first, second = lake.new_snapshot_id(as_of), lake.new_snapshot_id(as_of)

    assert first != second and first.startswith("20261101T020000Z-")


def test_the_glue_library_zip_is_deterministic_and_holds_the_job_modules():
    settings = load_settings({})

    assert library_zip(settings) == library_zip(settings)
    names = zipfile.ZipFile(write_library_zip(settings, settings.home / "test-zip")).namelist()
    assert names == list(LIBRARY_MODULES)


def test_the_job_imports_from_the_zip_with_only_pyspark_and_the_standard_library(tmp_path):
    # -S: no site-packages processing, so the installed project is not on the path; only the
    # zip and pyspark's folder (site-packages itself, where dataflow is a .pth editable) are.
    path = write_library_zip(load_settings({}), tmp_path)
    site = sysconfig.get_paths()["purelib"]
    code = (
        f"import sys; sys.path[:0] = [{str(path)!r}, {site!r}]; "
        "import dataflow.features.job as job; print(job.__file__)"
    )

    proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith(str(path))
