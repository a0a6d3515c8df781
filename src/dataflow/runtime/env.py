"""Environment for the tools DataFlow drives: Airflow, dbt, GX, boto3.

``service_env`` is printed by ``dataflow env`` (as ``export`` lines) and applied to the
process by the CLI, the tests and the demo before Airflow is imported, so every tool attaches
to the same local services. Telemetry of every tool is off: there is no network here, and
users expect it off.
"""

from __future__ import annotations

import os

from dataflow.settings import LOCAL_AWS_ACCESS_KEY, LOCAL_AWS_SECRET_KEY, Settings
from dataflow.webui import cosmos_dbt_docs_env

TELEMETRY_OFF = {
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "False",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "SCARF_ANALYTICS": "false",
}


def aws_env(settings: Settings) -> dict[str, str]:
    env = {"AWS_DEFAULT_REGION": settings.aws_region}
    if settings.aws_endpoint_url:
        env["AWS_ENDPOINT_URL"] = settings.aws_endpoint_url
    if settings.local_aws:
        env["AWS_ACCESS_KEY_ID"] = LOCAL_AWS_ACCESS_KEY
        env["AWS_SECRET_ACCESS_KEY"] = LOCAL_AWS_SECRET_KEY
    return env


def dbt_env(settings: Settings) -> dict[str, str]:
    """Variables read by ``dbt/profiles.yml``."""
    return {
        "DBT_PROFILES_DIR": str(settings.dbt_project_dir),
        "DATAFLOW_PG_HOST": settings.pg_host,
        "DATAFLOW_PG_PORT": str(settings.pg_port),
        "DATAFLOW_PG_USER": settings.pg_user,
        "DATAFLOW_PG_PASSWORD": settings.pg_password,
        "DATAFLOW_WAREHOUSE_DB": settings.warehouse_db,
        "DATAFLOW_DBT_THREADS": str(settings.dbt_threads),
    }


def airflow_env(settings: Settings) -> dict[str, str]:
    """Airflow configuration and connections, as ``AIRFLOW__*`` / ``AIRFLOW_CONN_*``."""
    import json

    aws_extra = {"region_name": settings.aws_region}
    if settings.aws_endpoint_url:
        aws_extra["endpoint_url"] = settings.aws_endpoint_url
    aws_conn = {"conn_type": "aws", "extra": aws_extra}
    if settings.local_aws:
        aws_conn |= {"login": LOCAL_AWS_ACCESS_KEY, "password": LOCAL_AWS_SECRET_KEY}
    home = settings.airflow_home
    secrets = local_secrets(settings)
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_folder),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(settings.plugins_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": (
            f"http://localhost:{settings.airflow_port}/execution/"
        ),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": settings.airflow_sqlalchemy_url,
        # Shared by api-server, scheduler and workers so execution-API tokens validate.
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets["jwt_secret"],
        "AIRFLOW__API__SECRET_KEY": secrets["api_secret_key"],
        "AIRFLOW__API__PORT": str(settings.airflow_port),
        "AIRFLOW__API__BASE_URL": settings.airflow_url,
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS": "True",
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.home / "cosmos_cache"),
        **cosmos_dbt_docs_env(settings),  # dbt docs served in the web UI by Cosmos
        # The watcher producer would rewrite a Variable with all its XComs on every push (~2,300
        # writes per small-scale run); off, it writes that backup once, when it fails.
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        "AIRFLOW_CONN_WAREHOUSE": settings.postgres_url(settings.warehouse_db),
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(aws_conn),
    }


def local_secrets(settings: Settings) -> dict[str, str]:
    """Per-installation secrets, generated once into ``<DATAFLOW_HOME>/secrets.json``."""
    import json
    import secrets

    path = settings.home / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    values = {"jwt_secret": secrets.token_urlsafe(32), "api_secret_key": secrets.token_urlsafe(32)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(values))
    tmp.chmod(0o600)
    tmp.replace(path)
    return json.loads(path.read_text())


def service_env(settings: Settings) -> dict[str, str]:
    """Everything a tool needs to attach to this DataFlow runtime."""
    return {
        "DATAFLOW_HOME": str(settings.home),
        "WAREHOUSE_URL": settings.warehouse_url,
        "AIRFLOW_URL": settings.airflow_url,
        **aws_env(settings),
        **dbt_env(settings),
        **airflow_env(settings),
        **TELEMETRY_OFF,
    }


def apply_service_env(settings: Settings) -> None:
    """Export :func:`service_env` into this process (call before importing Airflow)."""
    os.environ.update(service_env(settings))


def export_lines(settings: Settings) -> str:
    """``export NAME='value'`` lines for ``eval "$(dataflow env)"``."""
    import shlex

    return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in service_env(settings).items())
