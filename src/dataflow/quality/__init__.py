"""Data-quality validation of each loaded interval with Great Expectations Core 1.x.

Suites are data (``great_expectations/suites/<source>.yml``); GX runs them as SQL in Postgres
on the rows of one ``_interval_start``; every expectation's outcome goes to
``audit.validation_results``; failed *critical* expectations raise
:class:`CriticalExpectationsFailed`, failed *warnings* are recorded and logged.

DAG shape: one ``validate_source`` task per source (returns a JSON summary for XCom), then one
gate task calling ``check_critical(summaries)`` and ``build_data_docs(settings)``.
GX itself is imported only inside functions (it takes seconds to import).
"""

from __future__ import annotations

from dataflow.quality.docs import build_data_docs
from dataflow.quality.results import (
    CriticalExpectationsFailed,
    ExpectationOutcome,
    SuiteResult,
    ValidationReport,
    check_critical,
    raise_for_critical,
)
from dataflow.quality.suites import SuiteDefinitionError
from dataflow.quality.validate import validate_interval, validate_source

__all__ = [
    "CriticalExpectationsFailed",
    "ExpectationOutcome",
    "SuiteDefinitionError",
    "SuiteResult",
    "ValidationReport",
    "build_data_docs",
    "check_critical",
    "raise_for_critical",
    "validate_interval",
    "validate_source",
]
