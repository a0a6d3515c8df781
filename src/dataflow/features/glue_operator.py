"""``trigger_glue_etl`` in ``aws`` mode: the Amazon provider's ``GlueJobOperator``, for this job.

The job itself is defined by ``aws/cloudformation/glue.yaml`` (role, connection, workers,
default arguments); the operator uploads the script (and the ``dataflow.features`` zip it
imports) to the lake's ``artifacts/glue-scripts/``, starts a run with this interval's
arguments, polls it to the end, and returns the snapshot the run wrote — read back from the
run's own arguments, so a retry that reattaches to a running job still names its output.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.operators.glue import GlueJobOperator

from dataflow.features import lake
from dataflow.features.artifacts import LIBRARY_NAME, library_zip
from dataflow.features.local import JOB_NAME, job_script
from dataflow.features.runner import marts_as_of, trigger_result
from dataflow.settings import Settings, get_settings


class GlueJobMissingError(RuntimeError):
    """The Glue job is not defined: its stack was not deployed."""


def glue_job_arguments(settings: Settings, as_of: datetime, snapshot_id: str) -> dict[str, str]:
    """The run's arguments (the job's defaults come from its definition)."""
    features = lake.snapshot_prefix(lake.FEATURES_ROOT, snapshot_id)
    summary = lake.snapshot_prefix(lake.SUMMARY_ROOT, snapshot_id)
    return {
        "--as_of": as_of.isoformat(),
        "--snapshot_id": snapshot_id,
        "--features_path": lake.s3_uri(settings, features),
        "--summary_path": lake.s3_uri(settings, summary),
    }


class CustomerFeaturesGlueJobOperator(GlueJobOperator):
    """``GlueJobOperator`` for ``customer_features``: interval arguments, library upload."""

    def upload_etl_script_to_s3(self):
        super().upload_etl_script_to_s3()
        S3Hook(aws_conn_id=self.aws_conn_id).load_bytes(
            library_zip(get_settings()),
            key=lake.ARTIFACTS_PREFIX + LIBRARY_NAME,
            bucket_name=self.s3_bucket,
            replace=True,
        )

    def execute(self, context):
        settings = get_settings()
        as_of = marts_as_of(settings, context["data_interval_end"])
        snapshot_id = lake.new_snapshot_id(as_of)
        self.script_args = {**self.script_args, **glue_job_arguments(settings, as_of, snapshot_id)}
        if not self.hook.has_job(self.job_name):
            raise GlueJobMissingError(
                f"Glue job {self.job_name} is not defined: deploy the glue stack "
                "(`dataflow infra deploy`)"
            )
        run_id = super().execute(context)
        run = self.hook.conn.get_job_run(JobName=self.job_name, RunId=run_id)["JobRun"]
        arguments = run.get("Arguments", {})
        return trigger_result(
            arguments["--snapshot_id"],
            datetime.fromisoformat(arguments["--as_of"]),
            mode="aws",
            glue_job_run_id=run_id,
            state=run["JobRunState"],
        )


def customer_features_glue_operator(settings: Settings, task_id: str = "trigger_glue_etl"):
    """The ``aws``-mode trigger task (built at parse time: no AWS call here)."""
    return CustomerFeaturesGlueJobOperator(
        task_id=task_id,
        job_name=JOB_NAME,
        script_location=str(job_script(settings)),
        s3_bucket=settings.lake_bucket,
        replace_script_file=True,
        update_config=False,
        wait_for_completion=True,
        job_poll_interval=settings.glue_poll_seconds,
        aws_conn_id="aws_default",
        region_name=settings.aws_region,
    )
