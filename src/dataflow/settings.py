"""The one place DataFlow reads its configuration.

Every other module receives a :class:`Settings` (usually from :func:`get_settings`) instead of
reading ``os.environ`` itself. Defaults are the *embedded local runtime*: a Postgres cluster
and a moto server that the project starts itself on 127.0.0.1. Point the variables below at
real infrastructure and the same code talks to it instead.

Environment variables (all optional):

=============================  =======================================================
``DATAFLOW_HOME``              state folder for the local runtime (default ``<repo>/.dataflow``)
``DATABASE_URL``               external Postgres *server* URL (no database part needed); when
                               set, no local cluster is started
``DATAFLOW_PG_PORT``           port of the local cluster (default 54329)
``DATAFLOW_WAREHOUSE_DB``      warehouse database name (default ``warehouse``)
``DATAFLOW_AIRFLOW_DB``        Airflow metadata database name (default ``airflow``)
``AWS_ENDPOINT_URL``           AWS endpoint override; unset + ``DATAFLOW_LOCAL_AWS=0`` = real AWS
``DATAFLOW_LOCAL_AWS``         ``1`` (default) runs a moto server and points AWS at it
``DATAFLOW_MOTO_PORT``         port of the local moto server (default 5055)
``AWS_DEFAULT_REGION``         default ``us-east-1``
``DATAFLOW_LANDING_BUCKET``    default ``dataflow-landing``
``DATAFLOW_LAKE_BUCKET``       default ``dataflow-lake``
``DATAFLOW_DOCS_BUCKET``       default ``dataflow-docs``
``DATAFLOW_AIRFLOW_PORT``      web UI / API port (default 8080)
``DATAFLOW_ENVIRONMENT``       deployment name passed to the CloudFormation stacks (default
                               ``local``; e.g. ``staging``, ``prod``)
``DATAFLOW_ALERTS_TOPIC``      SNS topic of platform alerts (default ``dataflow-platform-alerts``)
``DATAFLOW_GLUE_MODE``         where ``trigger_glue_etl`` runs the features job: ``local`` (default,
                               local Spark) or ``aws`` (AWS Glue through ``GlueJobOperator``)
``DATAFLOW_GLUE_POLL_SECONDS`` seconds between Glue job-run state polls in ``aws`` mode (default 30)
``DATAFLOW_SPARK_DRIVER_MEMORY``  local Spark driver memory (default ``3g``; see docs/features.md)
``DATAFLOW_SPARK_SHUFFLE_PARTITIONS``  local Spark shuffle partitions (default 8)
``DATAFLOW_SPARK_JDBC_PARTITIONS``  parallel JDBC reads of ``fct_transactions`` (default 2)
``DATAFLOW_JDBC_JAR``          Postgres JDBC driver for local Spark (default
                               ``/usr/share/java/postgresql.jar``, Debian libpostgresql-jdbc-java)
``DATAFLOW_LANDING_EVENTS_QUEUE``  SQS queue (name) that receives the landing bucket's
                               ``landing/events/`` ObjectCreated notifications (default: none)
=============================  =======================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parents[2]

LOCAL_PG_USER = "dataflow"
LOCAL_PG_PASSWORD = "dataflow"
LOCAL_AWS_ACCESS_KEY = "testing"
LOCAL_AWS_SECRET_KEY = "testing"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; build it with :func:`load_settings` or :func:`get_settings`."""

    project_root: Path
    home: Path
    external_database_url: str | None
    pg_host: str
    pg_port: int
    pg_user: str
    pg_password: str
    warehouse_db: str
    airflow_db: str
    local_aws: bool
    aws_endpoint_url: str | None
    moto_port: int
    aws_region: str
    landing_bucket: str
    lake_bucket: str
    docs_bucket: str
    airflow_port: int
    environment: str = "local"
    alerts_topic_name: str = "dataflow-platform-alerts"
    glue_mode: str = "local"
    glue_poll_seconds: float = 30.0
    spark_driver_memory: str = "3g"
    spark_shuffle_partitions: int = 8
    spark_jdbc_partitions: int = 2
    jdbc_jar: Path = Path("/usr/share/java/postgresql.jar")
    landing_events_queue: str = ""
    extra: dict = field(default_factory=dict)

    # --- derived locations -------------------------------------------------------------
    @property
    def local_postgres(self) -> bool:
        """True when DataFlow runs its own Postgres cluster."""
        return self.external_database_url is None

    @property
    def pg_data_dir(self) -> Path:
        return self.home / "postgres" / "data"

    @property
    def run_dir(self) -> Path:
        """pid files and service logs."""
        return self.home / "run"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def dags_folder(self) -> Path:
        return self.project_root / "airflow" / "dags"

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_root / "dbt"

    @property
    def dbt_target_dir(self) -> Path:
        return self.dbt_project_dir / "target"

    @property
    def dbt_manifest_path(self) -> Path:
        return self.dbt_target_dir / "manifest.json"

    @property
    def gx_dir(self) -> Path:
        """Checked-in Great Expectations suite definitions."""
        return self.project_root / "great_expectations"

    @property
    def data_docs_dir(self) -> Path:
        """Locally built GX Data Docs (git-ignored)."""
        return self.home / "data_docs"

    # --- URLs --------------------------------------------------------------------------
    def postgres_url(self, database: str, driver: str = "postgresql") -> str:
        """A SQLAlchemy/libpq URL for ``database`` on the configured server."""
        return (
            f"{driver}://{self.pg_user}:{self.pg_password}@{self.pg_host}:{self.pg_port}/{database}"
        )

    @property
    def warehouse_url(self) -> str:
        return self.postgres_url(self.warehouse_db)

    @property
    def warehouse_sqlalchemy_url(self) -> str:
        return self.postgres_url(self.warehouse_db, "postgresql+psycopg2")

    @property
    def airflow_sqlalchemy_url(self) -> str:
        return self.postgres_url(self.airflow_db, "postgresql+psycopg2")

    @property
    def airflow_url(self) -> str:
        return f"http://localhost:{self.airflow_port}"

    def landing_uri(self, key: str = "") -> str:
        return f"s3://{self.landing_bucket}/{key}"


def _server_parts(url: str) -> tuple[str, int, str, str]:
    parts = urlsplit(url)
    return (
        parts.hostname or "127.0.0.1",
        parts.port or 5432,
        parts.username or "postgres",
        parts.password or "",
    )


GLUE_MODES = ("local", "aws")


def _glue_mode(value: str) -> str:
    mode = value.strip().lower()
    if mode not in GLUE_MODES:
        raise ValueError(f"DATAFLOW_GLUE_MODE={value!r}: use one of {', '.join(GLUE_MODES)}")
    return mode


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Resolve settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    home = Path(env.get("DATAFLOW_HOME") or PROJECT_ROOT / ".dataflow").resolve()
    external = env.get("DATABASE_URL") or None
    if external:
        host, port, user, password = _server_parts(external)
    else:
        host, port = "127.0.0.1", int(env.get("DATAFLOW_PG_PORT", "54329"))
        user, password = LOCAL_PG_USER, LOCAL_PG_PASSWORD
    local_aws = _flag(env.get("DATAFLOW_LOCAL_AWS"), default=True)
    moto_port = int(env.get("DATAFLOW_MOTO_PORT", "5055"))
    endpoint = env.get("AWS_ENDPOINT_URL") or (
        f"http://127.0.0.1:{moto_port}" if local_aws else None
    )
    return Settings(
        project_root=PROJECT_ROOT,
        home=home,
        external_database_url=external,
        pg_host=host,
        pg_port=port,
        pg_user=user,
        pg_password=password,
        warehouse_db=env.get("DATAFLOW_WAREHOUSE_DB", "warehouse"),
        airflow_db=env.get("DATAFLOW_AIRFLOW_DB", "airflow"),
        local_aws=local_aws,
        aws_endpoint_url=endpoint,
        moto_port=moto_port,
        aws_region=env.get("AWS_DEFAULT_REGION", "us-east-1"),
        landing_bucket=env.get("DATAFLOW_LANDING_BUCKET", "dataflow-landing"),
        lake_bucket=env.get("DATAFLOW_LAKE_BUCKET", "dataflow-lake"),
        docs_bucket=env.get("DATAFLOW_DOCS_BUCKET", "dataflow-docs"),
        airflow_port=int(env.get("DATAFLOW_AIRFLOW_PORT", "8080")),
        environment=env.get("DATAFLOW_ENVIRONMENT", "local"),
        alerts_topic_name=env.get("DATAFLOW_ALERTS_TOPIC", "dataflow-platform-alerts"),
        glue_mode=_glue_mode(env.get("DATAFLOW_GLUE_MODE") or "local"),
        glue_poll_seconds=float(env.get("DATAFLOW_GLUE_POLL_SECONDS", "30")),
        spark_driver_memory=env.get("DATAFLOW_SPARK_DRIVER_MEMORY", "3g"),
        spark_shuffle_partitions=int(env.get("DATAFLOW_SPARK_SHUFFLE_PARTITIONS", "8")),
        spark_jdbc_partitions=int(env.get("DATAFLOW_SPARK_JDBC_PARTITIONS", "2")),
        jdbc_jar=Path(env.get("DATAFLOW_JDBC_JAR", "/usr/share/java/postgresql.jar")),
        landing_events_queue=env.get("DATAFLOW_LANDING_EVENTS_QUEUE", ""),
    )


@cache
def get_settings() -> Settings:
    """Settings of this process, resolved once."""
    return load_settings()


def redact(url: str) -> str:
    """``url`` with its password replaced, for logs and status output."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))
