"""How Cosmos renders and runs the dbt project, and publishing dbt docs."""

from __future__ import annotations

from typing import Any

from dataflow.settings import Settings

# Rendered per task by Airflow: a rerun of an interval passes the same vars, so gives the same
# marts (customer_360.as_of = data_interval_end).
DBT_INTERVAL_VARS = {
    "data_interval_start": "{{ data_interval_start.isoformat() }}",
    "data_interval_end": "{{ data_interval_end.isoformat() }}",
}


def cosmos_configs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``DbtTaskGroup``: manifest-based rendering, dbtRunner execution.

    ``LoadMode.DBT_MANIFEST`` reads ``dbt/target/manifest.json`` (built ahead of time by
    ``dataflow dbt-parse``), so parsing the DAG never runs ``dbt ls``.
    """
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    return {
        "project_config": ProjectConfig(
            dbt_project_path=settings.dbt_project_dir,
            manifest_path=settings.dbt_manifest_path,
            project_name="dataflow",
        ),
        "profile_config": ProfileConfig(
            profile_name="dataflow",
            target_name="local",
            profiles_yml_filepath=settings.dbt_project_dir / "profiles.yml",
        ),
        "execution_config": ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL, invocation_mode=InvocationMode.DBT_RUNNER
        ),
        "render_config": RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            # Relationship tests span two models: run them once both exist, in their own task.
            should_detach_multiple_parents_tests=True,
        ),
        "operator_args": {"vars": DBT_INTERVAL_VARS, "install_deps": False},
    }


def publish_dbt_docs(settings: Settings) -> dict[str, str]:
    """Run ``dbt docs generate`` and upload ``index.html`` + artifacts to the docs bucket."""
    from dataflow.aws import s3_client
    from dataflow.transform import run_dbt

    run_dbt(settings, ["docs", "generate"])
    s3 = s3_client(settings)
    for name in ("index.html", "manifest.json", "catalog.json"):
        path = settings.dbt_target_dir / name
        if path.exists():
            s3.upload_file(str(path), settings.docs_bucket, f"dbt_docs/{name}")
    return {
        "local": str(settings.dbt_target_dir / "index.html"),
        "s3": f"s3://{settings.docs_bucket}/dbt_docs/index.html",
    }
