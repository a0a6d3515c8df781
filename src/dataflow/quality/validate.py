"""Validate one loaded data interval: per source (one DAG task each) or all at once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from dataflow.quality.results import (
    SuiteResult,
    ValidationReport,
    log_outcomes,
    raise_for_critical,
    record_results,
)
from dataflow.quality.suites import as_utc, available_suites, load_suite
from dataflow.settings import Settings

log = logging.getLogger(__name__)

# The pipeline's data interval; callers with other intervals pass interval_end explicitly.
DEFAULT_INTERVAL = timedelta(hours=1)


def new_run_id() -> str:
    """A run id for validations started outside Airflow."""
    return f"manual__{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"


def validate_source(
    settings: Settings,
    source: str,
    interval_start: datetime,
    run_id: str | None = None,
    interval_end: datetime | None = None,
) -> dict[str, Any]:
    """Validate ``raw.<source>`` rows of one interval with its suite and record the results.

    Never raises for failed expectations: returns a JSON-serialisable summary (for XCom) that
    a gate task passes to :func:`dataflow.quality.check_critical`.
    """
    return _validate(settings, [source], interval_start, run_id, interval_end)[0].to_summary()


def validate_interval(
    settings: Settings,
    interval_start: datetime,
    run_id: str | None = None,
    build_docs: bool = True,
    interval_end: datetime | None = None,
) -> ValidationReport:
    """Validate every suite's rows of one interval, record results, optionally build Data Docs.

    Raises :class:`CriticalExpectationsFailed` after recording (and publishing the docs) when
    any critical expectation failed; failed warnings are only recorded and logged.
    """
    from dataflow.quality.docs import build_data_docs

    run_id = run_id or new_run_id()
    results = _validate(
        settings, available_suites(settings.gx_dir), interval_start, run_id, interval_end
    )
    report = ValidationReport(run_id, as_utc(interval_start), {r.suite: r for r in results})
    if build_docs:
        report.docs = build_data_docs(settings)
        report.data_docs_local = settings.data_docs_dir / "index.html"
        report.data_docs_s3_uri = report.docs["s3_uri"]
    raise_for_critical([report])
    return report


def _validate(
    settings: Settings,
    sources: list[str],
    interval_start: datetime,
    run_id: str | None,
    interval_end: datetime | None,
) -> list[SuiteResult]:
    """Run the suites of ``sources`` on one GX context and one datasource."""
    from dataflow.quality.engine import add_warehouse, close_warehouse, open_context, run_suite

    start = as_utc(interval_start)
    end = as_utc(interval_end) if interval_end else start + DEFAULT_INTERVAL
    run_id = run_id or new_run_id()
    specs = [load_suite(settings.gx_dir, source) for source in sources]
    context = open_context(settings)
    datasource = add_warehouse(context, settings)
    results = []
    try:
        for spec in specs:
            outcomes = run_suite(context, datasource, spec, start, end, run_id)
            result = SuiteResult(spec.name, run_id, start, tuple(outcomes))
            record_results(settings, result)
            log_outcomes(result)
            results.append(result)
    finally:
        close_warehouse(datasource)
    return results
