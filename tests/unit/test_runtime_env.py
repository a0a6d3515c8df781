"""The environment handed to Airflow, dbt and boto3 attaches them to the same services."""

from __future__ import annotations

import json

from dataflow.runtime.env import export_lines, service_env
from dataflow.settings import load_settings


def make_settings(tmp_path, **env):
    return load_settings({"DATAFLOW_HOME": str(tmp_path), **env})


def test_service_env_has_the_attach_variables(tmp_path):
    env = service_env(make_settings(tmp_path))
    assert env["WAREHOUSE_URL"].endswith("/warehouse")
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5055"
    assert env["AIRFLOW_URL"] == "http://localhost:8080"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("/airflow")


def test_every_telemetry_is_off(tmp_path):
    env = service_env(make_settings(tmp_path))
    assert env["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] == "False"
    assert env["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "False"
    assert env["GX_ANALYTICS_ENABLED"] == "False"
    assert env["AIRFLOW__USAGE_DATA_COLLECTION__ENABLED"] == "False"


def test_airflow_aws_connection_carries_the_endpoint_override(tmp_path):
    conn = json.loads(service_env(make_settings(tmp_path))["AIRFLOW_CONN_AWS_DEFAULT"])
    assert conn["extra"]["endpoint_url"] == "http://127.0.0.1:5055"


def test_secrets_are_generated_once_and_reused(tmp_path):
    first = service_env(make_settings(tmp_path))["AIRFLOW__API_AUTH__JWT_SECRET"]
    second = service_env(make_settings(tmp_path))["AIRFLOW__API_AUTH__JWT_SECRET"]
    assert first == second and len(first) >= 32


def test_export_lines_are_shell_quoted(tmp_path):
    lines = export_lines(make_settings(tmp_path)).splitlines()
    assert all(line.startswith("export ") for line in lines)
    assert any(line.startswith("export AIRFLOW_CONN_AWS_DEFAULT='{") for line in lines)
