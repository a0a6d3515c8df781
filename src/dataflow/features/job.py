"""The ``customer_features`` job: arguments, reads, writes, and ``main``.

This module ships to AWS Glue (``--extra-py-files``) and runs locally under ``spark-submit``;
it needs only pyspark and the standard library. What differs between the two is I/O only:

=================  ==========================================  ================================
                   AWS Glue                                    local Spark
=================  ==========================================  ================================
arguments          ``awsglue.utils.getResolvedOptions``         the same names through argparse
warehouse          Glue connection ``--warehouse_connection``   ``--warehouse_jdbc_url`` with
                   (``GlueContext.extract_jdbc_conf``)          ``PGUSER`` / ``PGPASSWORD``
output             ``s3://<lake>/analytics/...`` directly       a local folder, then published
                                                                to the lake bucket with boto3
=================  ==========================================  ================================

Both read the marts with Spark's JDBC source (the Postgres driver) and the same transforms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dataflow.features import transforms
from dataflow.features.schema import (
    CUSTOMER_INPUT_COLUMNS,
    DATA_VERSION,
    FEATURE_PARTITION_COLUMNS,
    PRODUCT_INPUT_COLUMNS,
    TRANSACTION_INPUT_COLUMNS,
)

COMMON_ARGUMENTS = ("JOB_NAME", "as_of", "features_path", "summary_path", "jdbc_partitions")
GLUE_ARGUMENTS = (*COMMON_ARGUMENTS, "warehouse_connection")
LOCAL_ARGUMENTS = (*COMMON_ARGUMENTS, "warehouse_jdbc_url")
MARTS = {
    "customers": "marts.customer_360",
    "transactions": "marts.fct_transactions",
    "products": "marts.dim_products",
}
JDBC_FETCH_SIZE = "20000"
REPORT_MARKER = "customer_features report: "


class StaleMartsError(RuntimeError):
    """customer_360 is not as of the interval the job was asked for."""


@dataclass(frozen=True)
class JobArguments:
    """The resolved job arguments (the same names on Glue and locally)."""

    job_name: str
    as_of: datetime
    features_path: str
    summary_path: str
    jdbc_partitions: int = 2
    warehouse_connection: str | None = None
    warehouse_jdbc_url: str | None = None


@dataclass(frozen=True)
class Warehouse:
    """Where and as whom the job reads the marts over JDBC."""

    url: str
    user: str
    password: str = field(repr=False)


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant as an aware UTC datetime (naive = UTC)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def _glue_options(argv: list[str]) -> dict[str, str] | None:
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        return None
    return getResolvedOptions(argv, list(GLUE_ARGUMENTS))


def _local_options(argv: list[str]) -> dict[str, str]:
    parser = argparse.ArgumentParser(prog="customer_features", description=__doc__.split("\n")[0])
    for name in LOCAL_ARGUMENTS:
        parser.add_argument(f"--{name}", required=True)
    known, _unknown = parser.parse_known_args(argv[1:])  # Glue adds arguments of its own
    return vars(known)


def resolve_arguments(argv: list[str]) -> JobArguments:
    """The job's arguments, resolved once: Glue's resolver when ``awsglue`` is importable."""
    options = _glue_options(argv) or _local_options(argv)
    return JobArguments(
        job_name=options["JOB_NAME"],
        as_of=parse_instant(options["as_of"]),
        features_path=options["features_path"],
        summary_path=options["summary_path"],
        jdbc_partitions=int(options["jdbc_partitions"]),
        warehouse_connection=options.get("warehouse_connection"),
        warehouse_jdbc_url=options.get("warehouse_jdbc_url"),
    )


# --- reads -----------------------------------------------------------------------------------
def _jdbc_options(warehouse: Warehouse) -> dict[str, str]:
    return {
        "url": warehouse.url,
        "user": warehouse.user,
        "password": warehouse.password,
        "driver": "org.postgresql.Driver",
        "fetchsize": JDBC_FETCH_SIZE,
        # Timestamps and dates cross JDBC in UTC, whatever the server's default time zone.
        "sessionInitStatement": "set time zone 'UTC'",
    }


def read_mart(spark, warehouse: Warehouse, table: str, columns, predicates=None):
    """``columns`` of a mart over JDBC; one Spark partition per predicate when given."""
    options = _jdbc_options(warehouse)
    if predicates:
        properties = {k: v for k, v in options.items() if k != "url"}
        frame = spark.read.jdbc(options["url"], table, predicates=predicates, properties=properties)
    else:
        frame = spark.read.format("jdbc").options(**options).option("dbtable", table).load()
    return frame.select(*(name for name, _ in columns))


def transaction_predicates(partitions: int) -> list[str] | None:
    """Disjoint WHERE clauses that split ``fct_transactions`` by customer for parallel reads."""
    if partitions <= 1:
        return None
    return [f"mod(customer_id, {partitions}) = {i}" for i in range(partitions)]


def read_inputs(spark, warehouse: Warehouse, args: JobArguments):
    """The three marts: customers, their purchases (completed, before ``as_of``), products."""
    customers = read_mart(spark, warehouse, MARTS["customers"], CUSTOMER_INPUT_COLUMNS)
    transactions = read_mart(
        spark,
        warehouse,
        MARTS["transactions"],
        TRANSACTION_INPUT_COLUMNS,
        transaction_predicates(args.jdbc_partitions),
    )
    products = read_mart(spark, warehouse, MARTS["products"], PRODUCT_INPUT_COLUMNS)
    return customers, transforms.completed_before(transactions, args.as_of), products


def check_marts_as_of(customers, as_of: datetime) -> None:
    """Fail unless customer_360 was built as of ``as_of`` (the job must not mix intervals)."""
    from pyspark.sql import functions as F

    stale = (
        customers.where(F.col("as_of") != F.lit(as_of))
        .select(F.date_format("as_of", "yyyy-MM-dd'T'HH:mm:ssXXX").alias("as_of"))
        .distinct()
        .limit(3)
        .collect()
    )
    if stale:
        raise StaleMartsError(
            f"marts.customer_360 is as of {[r['as_of'] for r in stale]}, the job was asked for "
            f"{as_of.isoformat()}: run the transformations for that interval first"
        )


# --- writes ----------------------------------------------------------------------------------
def write_features(features, path: str) -> None:
    """Snappy parquet under ``path``, one file per (value segment, customer segment)."""
    partitions = [name for name, _ in FEATURE_PARTITION_COLUMNS]
    (
        features.repartition(*partitions)
        .sortWithinPartitions("customer_id")
        .write.mode("overwrite")
        .option("compression", "snappy")
        .partitionBy(*partitions)
        .parquet(path)
    )


def write_summary(summary, path: str) -> None:
    """The one summary row as a single snappy parquet file under ``path``."""
    summary.coalesce(1).write.mode("overwrite").option("compression", "snappy").parquet(path)


# --- the job ---------------------------------------------------------------------------------
@dataclass
class Timings:
    """Seconds per phase (read, compute, write), for the logs and the benchmark."""

    phases: dict[str, float] = field(default_factory=dict)

    def measure(self, phase: str, action: Callable[[], object]):
        started = time.perf_counter()
        result = action()
        self.phases[phase] = round(time.perf_counter() - started, 3)
        return result


def run(spark, args: JobArguments, warehouse: Warehouse, now: datetime | None = None) -> dict:
    """Read the marts, compute the features and their summary, write both; a report.

    Inputs and features are persisted once each, so every phase is timed on its own and the
    write and the summary do not recompute the features.
    """
    from pyspark import StorageLevel

    timings = Timings()
    processing = now or datetime.now(UTC)
    # Parquet's standard UTC timestamps (not Spark's legacy INT96), for every reader.
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    inputs = read_inputs(spark, warehouse, args)
    customers, transactions, products = (f.persist(StorageLevel.MEMORY_AND_DISK) for f in inputs)
    persisted = (customers, transactions, products)
    counts = timings.measure("read", lambda: [frame.count() for frame in persisted])
    timings.measure("check_marts", lambda: check_marts_as_of(customers, args.as_of))
    features = transforms.customer_features(
        customers, transactions, products, args.as_of, processing, DATA_VERSION
    ).persist(StorageLevel.MEMORY_AND_DISK)
    rows = timings.measure("compute", features.count)
    for frame in persisted:
        frame.unpersist()
    timings.measure("write", lambda: write_features(features, args.features_path))
    summary = transforms.features_summary(features, args.as_of, processing, DATA_VERSION)
    (stats,) = timings.measure("summary", summary.collect)
    features.unpersist()
    # The one summary row, from the collected values: no second pass over the features.
    summary_row = spark.createDataFrame([stats], summary.schema)
    timings.measure("write_summary", lambda: write_summary(summary_row, args.summary_path))
    return {
        "rows": rows,
        "inputs": dict(zip(("customers", "transactions", "products"), counts, strict=True)),
        "summary": {k: str(v) for k, v in stats.asDict().items()},
        "seconds": timings.phases,
    }


def local_warehouse(args: JobArguments) -> Warehouse:
    """Locally: the JDBC URL argument and the libpq variables for the credentials."""
    return Warehouse(args.warehouse_jdbc_url, os.environ["PGUSER"], os.environ["PGPASSWORD"])


def glue_warehouse(glue_context, connection_name: str) -> Warehouse:
    """On Glue: URL and credentials of the Glue connection (its secret resolved by Glue)."""
    conf = glue_context.extract_jdbc_conf(connection_name)
    return Warehouse(conf.get("fullUrl") or conf["url"], conf["user"], conf["password"])


def main(argv: list[str] | None = None) -> dict:
    """Entry point of ``aws/glue_scripts/customer_features.py`` on Glue and locally."""
    argv = sys.argv if argv is None else argv
    args = resolve_arguments(argv)
    if args.warehouse_connection:  # on Glue
        from awsglue.context import GlueContext
        from awsglue.job import Job
        from pyspark.context import SparkContext

        glue_context = GlueContext(SparkContext.getOrCreate())
        job = Job(glue_context)
        job.init(args.job_name, {"JOB_NAME": args.job_name})
        warehouse = glue_warehouse(glue_context, args.warehouse_connection)
        report = run(glue_context.spark_session, args, warehouse)
        job.commit()
    else:  # local Spark: spark-submit set master, memory and jars
        from pyspark.sql import SparkSession

        started = time.perf_counter()
        spark = SparkSession.builder.appName(args.job_name).getOrCreate()
        session_seconds = round(time.perf_counter() - started, 3)
        try:
            report = run(spark, args, local_warehouse(args))
        finally:
            spark.stop()
        report["seconds"] = {"session": session_seconds, **report["seconds"]}
    print(f"{REPORT_MARKER}{json.dumps(report, default=str)}", flush=True)
    return report
