"""Plain functions that Airflow tasks call; importable and testable without Airflow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dataflow.settings import get_settings
from dataflow.timeutil import to_utc as utc


def load_source(
    source: str, interval_start: datetime, interval_end: datetime, run_id: str | None
) -> dict[str, Any]:
    """Load one source's landing files of the interval into ``raw.<source>``."""
    from dataflow.ingest import load_interval

    result = load_interval(
        get_settings(), source, utc(interval_start), utc(interval_end), run_id=run_id
    )
    return result.to_dict()


def validate_source(
    source: str, interval_start: datetime, interval_end: datetime, run_id: str | None
) -> dict[str, Any]:
    """Run the source's GX suite on the interval's rows; results go to the audit table."""
    from dataflow import quality

    return quality.validate_source(
        get_settings(), source, utc(interval_start), run_id, interval_end=utc(interval_end)
    )


def publish_data_docs() -> dict[str, str]:
    """Build GX Data Docs locally and upload them to the docs bucket."""
    from dataflow import quality

    return quality.build_data_docs(get_settings())


def enforce_critical_expectations(summaries: list[dict[str, Any]]) -> None:
    """Fail (without retries) when any critical expectation failed."""
    from dataflow import quality

    quality.check_critical(summaries)


def publish_dbt_docs() -> dict[str, str]:
    """``dbt docs generate`` and upload the site to the docs bucket."""
    from dataflow.pipeline.dbt import publish_dbt_docs as publish

    return publish(get_settings())
