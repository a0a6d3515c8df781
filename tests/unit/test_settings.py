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


def test_full_refresh_hour_defaults_to_midnight_and_can_be_switched_off():
    assert load_settings({}).full_refresh_hour == 0
    assert load_settings({"DATAFLOW_FULL_REFRESH_HOUR": "6"}).full_refresh_hour == 6
    assert load_settings({"DATAFLOW_FULL_REFRESH_HOUR": "off"}).full_refresh_hour is None


def test_an_impossible_full_refresh_hour_is_a_clear_error():
    import pytest

    with pytest.raises(ValueError, match="DATAFLOW_FULL_REFRESH_HOUR"):
        load_settings({"DATAFLOW_FULL_REFRESH_HOUR": "24"})


def test_the_dags_manifest_lives_in_the_runtime_home_not_in_the_dbt_project():
    s = load_settings({"DATAFLOW_HOME": "/srv/df"})
    assert str(s.dbt_manifest_path) == "/srv/df/dbt/manifest.json"
    assert s.dbt_project_dir not in s.dbt_manifest_path.parents
    assert s.dbt_docs_target_dir != s.dbt_manifest_path.parent
