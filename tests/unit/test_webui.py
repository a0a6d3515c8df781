"""Docs served by the Airflow web UI: which files the Data Docs app hands out, and the links."""

from __future__ import annotations

import json

from dataflow import webui
from dataflow.settings import get_settings


def test_site_file_serves_files_and_folder_indexes_inside_the_site(tmp_path):
    (tmp_path / "validations").mkdir()
    (tmp_path / "index.html").write_text("home")
    (tmp_path / "validations" / "index.html").write_text("runs")

    assert webui.site_file(tmp_path, "index.html") == tmp_path / "index.html"
    assert webui.site_file(tmp_path, "validations") == tmp_path / "validations" / "index.html"


def test_site_file_refuses_missing_files_and_paths_outside_the_site(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "secrets.json").write_text("{}")

    assert webui.site_file(site, "nope.html") is None
    assert webui.site_file(site, "../secrets.json") is None
    assert webui.site_file(site, str(tmp_path / "secrets.json")) is None


def test_cosmos_serves_the_dbt_docs_that_publish_dbt_docs_builds():
    settings = get_settings()

    projects = json.loads(webui.cosmos_dbt_docs_env(settings)["AIRFLOW__COSMOS__DBT_DOCS_PROJECTS"])

    assert projects[webui.DBT_DOCS_SLUG]["dir"] == str(settings.dbt_docs_target_dir)
    assert webui.DBT_DOCS_URL == f"/cosmos/{webui.DBT_DOCS_SLUG}/dbt_docs_index.html"


def test_the_dag_docs_link_to_both_served_docs():
    dag_file = get_settings().dags_folder / "production_data_pipeline.py"

    text = dag_file.read_text()

    assert f"]({webui.DATA_DOCS_URL})" in text
    assert f"]({webui.DBT_DOCS_URL})" in text
