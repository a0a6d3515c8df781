"""Running the ``customer_features`` job on local Spark (``local[*]``, Java 17, no s3a).

:func:`run_local_job` is what ``trigger_glue_etl`` does in ``local`` mode: ``spark-submit`` the
very script that runs on Glue, with a local output folder, then publish that folder to the lake
bucket (:mod:`dataflow.features.publish`). :func:`spark_conf` is the one Spark configuration
(also used by the tests' session fixture and the benchmark).

Sizing for this 2-core machine with Postgres beside it (see ``docs/features.md``): the driver is
the only executor in local mode; it holds the persisted inputs (≈10M transactions as six
columns) and the shuffle of a 500k-key aggregation. ``spark.sql.shuffle.partitions`` of 8 keeps
tasks around 60k customers each — a few per core, so one slow task does not leave a core idle,
while the default 200 would spend more on task overhead than on work; adaptive execution still
coalesces them for small inputs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dataflow.settings import Settings

JOB_NAME = "customer_features"


class JdbcDriverMissingError(RuntimeError):
    """The Postgres JDBC jar that local Spark needs is not installed."""


class LocalJobError(RuntimeError):
    """spark-submit of the features job failed; the message carries its log tail."""


def job_script(settings: Settings) -> Path:
    """``aws/glue_scripts/customer_features.py``: the script Glue runs, run locally too."""
    return settings.project_root / "aws" / "glue_scripts" / f"{JOB_NAME}.py"


def jdbc_jar(settings: Settings) -> Path:
    """The Postgres JDBC driver jar (Debian ``libpostgresql-jdbc-java``)."""
    if not settings.jdbc_jar.exists():
        raise JdbcDriverMissingError(
            f"{settings.jdbc_jar} is missing: run `make setup` (installs libpostgresql-jdbc-java "
            "from scripts/system-packages.txt) or set DATAFLOW_JDBC_JAR"
        )
    return settings.jdbc_jar


def spark_conf(settings: Settings) -> dict[str, str]:
    """The local Spark configuration (master, memory, partitions, driver jar, UTC)."""
    utc = "-Duser.timezone=UTC"
    return {
        "spark.master": "local[*]",
        "spark.driver.memory": settings.spark_driver_memory,
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.jars": str(jdbc_jar(settings)),
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.extraJavaOptions": utc,
        "spark.executor.extraJavaOptions": utc,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.parquet.compression.codec": "snappy",
        "spark.local.dir": str(settings.home / "spark" / "tmp"),
    }


def local_spark_session(settings: Settings, app_name: str = JOB_NAME):
    """A SparkSession with :func:`spark_conf` (the tests share one per session)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    for key, value in spark_conf(settings).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def warehouse_jdbc_url(settings: Settings) -> str:
    return f"jdbc:postgresql://{settings.pg_host}:{settings.pg_port}/{settings.warehouse_db}"


def staging_dir(settings: Settings, snapshot_id: str) -> Path:
    """Where local Spark writes a run's parquet before it is published."""
    return settings.home / "spark" / "runs" / snapshot_id


@dataclass(frozen=True)
class LocalRun:
    """Output folders and the job's report of one local run."""

    features_dir: Path
    summary_dir: Path
    report: dict
    seconds: float


def job_argv(settings: Settings, as_of: datetime, features: Path, summary: Path) -> list[str]:
    """The job's arguments (the names Glue passes; see :mod:`dataflow.features.job`)."""
    return [
        "--JOB_NAME", JOB_NAME,
        "--as_of", as_of.isoformat(),
        "--features_path", features.as_uri(),
        "--summary_path", summary.as_uri(),
        "--jdbc_partitions", str(settings.spark_jdbc_partitions),
        "--warehouse_jdbc_url", warehouse_jdbc_url(settings),
    ]  # fmt: skip


def spark_submit_command(settings: Settings, argv: list[str]) -> list[str]:
    """``spark-submit`` (pyspark's own) with :func:`spark_conf`, then the script and argv."""
    spark_submit = Path(sys.executable).with_name("spark-submit")
    conf = [part for item in spark_conf(settings).items() for part in ("--conf", "=".join(item))]
    return [str(spark_submit), *conf, str(job_script(settings)), *argv]


def _job_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PGUSER": settings.pg_user,
        "PGPASSWORD": settings.pg_password,
    }


def _report(output: str) -> dict:
    import json

    from dataflow.features.job import REPORT_MARKER

    lines = [line for line in output.splitlines() if line.startswith(REPORT_MARKER)]
    return json.loads(lines[-1][len(REPORT_MARKER) :]) if lines else {}


def run_local_job(settings: Settings, as_of: datetime, snapshot_id: str) -> LocalRun:
    """``spark-submit`` the features job for ``as_of`` into a fresh staging folder."""
    staging = staging_dir(settings, snapshot_id)
    shutil.rmtree(staging, ignore_errors=True)
    features, summary = staging / "features", staging / "summary"
    (settings.home / "spark" / "tmp").mkdir(parents=True, exist_ok=True)
    command = spark_submit_command(settings, job_argv(settings, as_of, features, summary))
    started = time.perf_counter()
    proc = subprocess.run(command, env=_job_env(settings), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise LocalJobError(f"spark-submit of {JOB_NAME} failed (exit {proc.returncode}):\n{tail}")
    return LocalRun(features, summary, _report(proc.stdout), seconds)
