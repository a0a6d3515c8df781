"""Settings resolve from the environment in one place, with local defaults."""

from __future__ import annotations

from dataflow.settings import load_settings, redact


def test_defaults_point_at_the_embedded_runtime():
    s = load_settings({})
    assert s.local_postgres and s.local_aws
    assert s.warehouse_url == "postgresql://dataflow:dataflow@127.0.0.1:54329/warehouse"
    assert s.aws_endpoint_url == "http://127.0.0.1:5055"


def test_external_database_url_disables_the_local_cluster():
    s = load_settings({"DATABASE_URL": "postgresql://etl:secret@db.internal:6543/ignored"})
    assert not s.local_postgres
    assert (s.pg_host, s.pg_port, s.pg_user, s.pg_password) == (
        "db.internal",
        6543,
        "etl",
        "secret",
    )
    assert s.airflow_sqlalchemy_url.endswith("@db.internal:6543/airflow")


def test_real_aws_when_no_endpoint_override_and_local_aws_off():
    s = load_settings({"DATAFLOW_LOCAL_AWS": "0"})
    assert s.aws_endpoint_url is None

    from dataflow.aws import client_kwargs

    assert client_kwargs(s) == {"region_name": "us-east-1"}  # default credential chain


def test_redact_hides_the_password():
    assert redact("postgresql://u:pw@h:1/db") == "postgresql://u:***@h:1/db"
