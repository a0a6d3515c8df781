"""``trigger_glue_etl`` in ``aws`` mode against the moto endpoint: its API behaviour.

moto's Glue runs execute nothing (STARTING -> RUNNING -> SUCCEEDED on ``get_job_run``), so this
checks what the task does with the Glue API through real Airflow task execution of the
production DAG's task with ``DATAFLOW_GLUE_MODE=aws`` (``airflow tasks test``):
script and library uploaded, the stack's job (role, connection, arguments) started with this
interval's arguments, the run polled to success, and the snapshot it names returned. The
computation itself is tested in local mode (tests/e2e).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.integration

DAG_ID = "production_data_pipeline"
INTERVAL_END = datetime(2031, 3, 1, 6, tzinfo=UTC)  # an hourly run is named by its end


@pytest.fixture(scope="module")
def aws_mode_run(settings, dbt_manifest):
    """``airflow tasks test`` of production_data_pipeline's trigger_glue_etl in aws mode."""
    from dataflow.aws import aws_client
    from dataflow.runtime.airflow import ensure_airflow_db, run_airflow

    ensure_airflow_db(settings)
    glue = aws_client(settings, "glue")
    runs_before = {r["Id"] for r in glue.get_job_runs(JobName="customer_features")["JobRuns"]}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATAFLOW_GLUE_MODE", "aws")  # the setting, read when the DAG is parsed
        env.setenv("DATAFLOW_GLUE_POLL_SECONDS", "0.5")
        output = run_airflow(
            settings,
            "tasks", "test", DAG_ID, "aws_integration.trigger_glue_etl", INTERVAL_END.isoformat(),
        )  # fmt: skip
    new_runs = [
        r
        for r in glue.get_job_runs(JobName="customer_features")["JobRuns"]
        if r["Id"] not in runs_before
    ]
    return output, new_runs


def test_the_task_succeeds_after_polling_the_run_to_its_end(aws_mode_run):
    output, runs = aws_mode_run

    (run,) = runs
    assert run["JobRunState"] == "SUCCEEDED"
    # The production DAG's task is the Glue operator (the setting chose it), and it polled.
    assert f"customer_features status: SUCCEEDED. Run Id: {run['Id']}" in output
    assert "glue_operator.CustomerFeaturesGlueJobOperator" in output


def test_script_and_job_library_are_uploaded_where_the_job_definition_reads_them(
    settings, s3, aws_mode_run
):
    from dataflow.aws import aws_client
    from dataflow.features.artifacts import library_zip
    from dataflow.features.local import job_script

    job = aws_client(settings, "glue").get_job(JobName="customer_features")["Job"]

    def body(uri):
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    assert body(job["Command"]["ScriptLocation"]) == job_script(settings).read_bytes()
    assert body(job["DefaultArguments"]["--extra-py-files"]) == library_zip(settings)


def test_the_stack_defines_the_job_with_its_role_and_connection(settings, aws_mode_run):
    from dataflow.aws import aws_client

    job = aws_client(settings, "glue").get_job(JobName="customer_features")["Job"]
    role = aws_client(settings, "iam").get_role(RoleName="dataflow-local-glue-features")["Role"]

    assert job["Role"] == role["Arn"]
    assert job["Connections"] == {"Connections": ["dataflow-warehouse"]}
    assert job["DefaultArguments"]["--warehouse_connection"] == "dataflow-warehouse"
    assert job["Command"]["Name"] == "glueetl"


def built_marts_as_of(settings):
    """customer_360's as_of when an earlier module built the marts, else None."""
    import psycopg

    with psycopg.connect(settings.warehouse_url) as conn:
        try:
            return conn.execute("select max(as_of) from marts.customer_360").fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return None


def test_the_run_gets_the_marts_as_of_and_a_fresh_snapshot_in_the_lake(settings, aws_mode_run):
    _, (run,) = aws_mode_run
    arguments = run["Arguments"]
    snapshot = arguments["--snapshot_id"]
    lake = f"s3://{settings.lake_bucket}/analytics"
    # the marts' as_of (a rerun of an older interval keeps it); the interval's end before any
    expected = built_marts_as_of(settings) or INTERVAL_END

    assert datetime.fromisoformat(arguments["--as_of"]) == expected
    assert snapshot.startswith(f"{expected.astimezone(UTC):%Y%m%dT%H%M%SZ}-")
    assert arguments["--features_path"] == f"{lake}/customer_features/runs/{snapshot}/"
    assert arguments["--summary_path"] == f"{lake}/customer_features_summary/runs/{snapshot}/"
