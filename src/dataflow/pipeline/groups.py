"""Task-group builders of ``production_data_pipeline``.

Each builder takes no arguments, creates its group inside the current DAG context and
returns it, so a DAG is ``chain(*(build() for build in GROUPS))`` and a new stage is one line.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import TaskGroup, task

from dataflow.contracts import BATCH_SOURCES
from dataflow.monitoring.tasks import monitoring
from dataflow.pipeline import tasks
from dataflow.settings import get_settings

VALIDATED_SOURCES = ("customers", "products", "transactions")


def _fail_fast(exc: Exception) -> Exception:
    """Data problems are not transient: fail the task without burning retries."""
    from airflow.sdk.exceptions import AirflowFailException

    return AirflowFailException(str(exc))


@task(execution_timeout=timedelta(hours=2))
def load_landing_files(source: str, data_interval_start=None, data_interval_end=None, run_id=None):
    """Stream the interval's landing files of ``source`` into ``raw.<source>``."""
    from dataflow.ingest import LandingFileError

    try:
        return tasks.load_source(source, data_interval_start, data_interval_end, run_id)
    except LandingFileError as exc:  # a bad header or unreadable file: retries cannot help
        raise _fail_fast(exc) from exc


@task
def run_expectation_suite(
    source: str, data_interval_start=None, data_interval_end=None, run_id=None
):
    """Validate the interval's ``raw.<source>`` rows with the source's GX suite."""
    return tasks.validate_source(source, data_interval_start, data_interval_end, run_id)


@task(trigger_rule="all_done", retries=3)
def publish_data_docs():
    """Build GX Data Docs (local folder + S3), also after failed validations."""
    return tasks.publish_data_docs()


@task
def enforce_critical_expectations(summaries):
    """The quality gate: transformations never run on data that failed a critical check."""
    from dataflow.quality import CriticalExpectationsFailed

    try:
        tasks.enforce_critical_expectations(list(summaries))
    except CriticalExpectationsFailed as exc:
        raise _fail_fast(exc) from exc


@task
def publish_dbt_docs():
    """Generate dbt docs and upload them to the docs bucket."""
    return tasks.publish_dbt_docs()


def data_ingestion() -> TaskGroup:
    """One load task per landing source."""
    with TaskGroup("data_ingestion", tooltip="S3 landing files → raw.* via COPY") as group:
        for source in BATCH_SOURCES:
            load_landing_files.override(task_id=f"load_{source}")(source)
    return group


def quality_validation() -> TaskGroup:
    """One GX suite per source, then the critical-expectation gate; Data Docs beside them."""
    with TaskGroup("quality_validation", tooltip="Great Expectations on raw.*") as group:
        summaries = [
            run_expectation_suite.override(task_id=f"validate_{source}")(source)
            for source in VALIDATED_SOURCES
        ]
        enforce_critical_expectations(summaries)
    # Outside the group on purpose: the next stage waits for the group's leaves (the gate),
    # so a Data Docs failure is retried on its own and shows as a failed task, blocking nothing.
    summaries >> publish_data_docs()
    return group


def transformations() -> TaskGroup:
    """The dbt project rendered by Cosmos: one task per model, its tests after it."""
    from cosmos import DbtTaskGroup

    from dataflow.pipeline.dbt import cosmos_configs

    with TaskGroup("transformations", tooltip="dbt staging → marts (Cosmos)") as group:
        dbt = DbtTaskGroup(group_id="dbt", **cosmos_configs(get_settings()))
        dbt >> publish_dbt_docs()
    return group


def aws_integration() -> TaskGroup:
    """Customer features on Spark (local or AWS Glue, per DATAFLOW_GLUE_MODE), then the catalog."""
    from dataflow.features.airflow_tasks import register_lake_partitions, trigger_glue_etl

    with TaskGroup("aws_integration", tooltip="features job → lake → Glue Data Catalog") as group:
        register_lake_partitions(trigger_glue_etl(get_settings()))
    return group


# The pipeline's stages, in order. New stages go before monitoring, which records the run's
# figures and stays last.
PRODUCTION_PIPELINE_GROUPS = (
    data_ingestion,
    quality_validation,
    transformations,
    aws_integration,
    monitoring,
)
