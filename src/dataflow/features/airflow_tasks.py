"""The ``aws_integration`` tasks; which ``trigger_glue_etl`` runs is ``DATAFLOW_GLUE_MODE``."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import task

from dataflow.settings import Settings, get_settings


@task(task_id="trigger_glue_etl", execution_timeout=timedelta(hours=1))
def run_customer_features_on_local_spark(data_interval_end=None):
    """The features job script on local Spark (as of the marts), published to the lake bucket."""
    from dataflow.features.runner import marts_as_of, run_features_locally

    settings = get_settings()
    return run_features_locally(settings, marts_as_of(settings, data_interval_end))


@task
def register_lake_partitions(result: dict):
    """Point the Glue Data Catalog tables and partitions at the run's snapshot."""
    from dataflow.features.runner import register_lake_partitions as register

    return register(get_settings(), result)


def trigger_glue_etl(settings: Settings):
    """The trigger task for ``settings.glue_mode``; its output is the run's snapshot."""
    if settings.glue_mode == "aws":
        from dataflow.features.glue_operator import customer_features_glue_operator

        return customer_features_glue_operator(settings).output
    return run_customer_features_on_local_spark()
