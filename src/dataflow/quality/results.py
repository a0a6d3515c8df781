"""Validation outcomes: the report types, the critical gate and ``audit.validation_results``.

Everything here is plain data so that per-suite summaries travel through Airflow XCom as JSON
and a later gate task can raise from them with :func:`raise_for_critical`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dataflow.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation on one interval's batch."""

    suite: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    observed_value: str
    threshold: str
    unexpected_count: int | None = None
    element_count: int | None = None

    @property
    def failed_critical(self) -> bool:
        return not self.success and self.severity == "critical"

    @property
    def failed_warning(self) -> bool:
        return not self.success and self.severity == "warning"

    def describe(self) -> str:
        """``suite / expectation / column: observed ..., threshold ...`` for messages."""
        column = self.column or "(table)"
        return (
            f"{self.suite} / {self.expectation} / {column}: observed {self.observed_value}, "
            f"threshold {self.threshold}"
        )


class _FailureCounts:
    """Critical/warning failures of ``self.outcomes``, shared by suite results and reports."""

    outcomes: Iterable[ExpectationOutcome]

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.failed_critical]

    @property
    def warning_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.failed_warning]

    @property
    def success(self) -> bool:
        """True when no critical expectation failed (warnings do not count)."""
        return not self.critical_failures


@dataclass(frozen=True)
class SuiteResult(_FailureCounts):
    """All outcomes of one suite for one interval."""

    suite: str
    run_id: str
    interval_start: datetime
    outcomes: tuple[ExpectationOutcome, ...]

    def to_summary(self) -> dict[str, Any]:
        """JSON-serialisable summary (for XCom); :func:`raise_for_critical` accepts it."""
        return {
            "suite": self.suite,
            "run_id": self.run_id,
            "interval_start": self.interval_start.isoformat(),
            "success": self.success,
            "evaluated": len(self.outcomes),
            "critical_failed": len(self.critical_failures),
            "warnings_failed": len(self.warning_failures),
            "outcomes": [asdict(o) for o in self.outcomes],
        }


@dataclass
class ValidationReport(_FailureCounts):
    """Result of :func:`dataflow.quality.validate_interval` over every suite."""

    run_id: str
    interval_start: datetime
    suites: dict[str, SuiteResult]
    data_docs_local: Path | None = None
    data_docs_s3_uri: str | None = None
    docs: dict[str, Any] = field(default_factory=dict)

    @property
    def outcomes(self) -> list[ExpectationOutcome]:
        return [o for result in self.suites.values() for o in result.outcomes]

    @property
    def evaluated(self) -> int:
        return len(self.outcomes)


class CriticalExpectationsFailed(Exception):
    """One or more critical expectations failed; ``failures`` holds them all."""

    def __init__(self, failures: list[ExpectationOutcome], run_ids: Iterable[str] = ()):
        self.failures = failures
        lines = "\n".join(f"  - {f.describe()}" for f in failures)
        where = ", ".join(f"run_id = '{r}'" for r in sorted(set(run_ids))) or "latest run"
        super().__init__(
            f"{len(failures)} critical expectation(s) failed; fix the source data or the "
            f"loader, then rerun the interval:\n{lines}\n"
            f"Details: audit.validation_results ({where}) and the Data Docs."
        )


def raise_for_critical(results: Iterable[SuiteResult | ValidationReport | Mapping]) -> None:
    """Raise :class:`CriticalExpectationsFailed` listing every failed critical expectation.

    ``results`` may mix :class:`SuiteResult`, :class:`ValidationReport` and the dict summaries
    returned by :func:`dataflow.quality.validate_source` (e.g. pulled from XCom).
    """
    results = list(results)
    failures = [o for result in results for o in _outcomes_of(result) if o.failed_critical]
    if failures:
        raise CriticalExpectationsFailed(failures, [_run_id_of(r) for r in results])


check_critical = raise_for_critical  # the name the DAG's gate task uses on XCom summaries


def _run_id_of(result: SuiteResult | ValidationReport | Mapping) -> str:
    return result["run_id"] if isinstance(result, Mapping) else result.run_id


def _outcomes_of(result: SuiteResult | ValidationReport | Mapping) -> list[ExpectationOutcome]:
    if isinstance(result, Mapping):
        return [ExpectationOutcome(**o) for o in result["outcomes"]]
    return list(result.outcomes)


def log_outcomes(result: SuiteResult) -> None:
    """One log line per failed expectation: errors for critical, warnings for warning."""
    for outcome in result.critical_failures:
        log.error("critical expectation failed: %s", outcome.describe())
    for outcome in result.warning_failures:
        log.warning("warning expectation failed: %s", outcome.describe())
    log.info(
        "suite %s for %s: %d expectations, %d critical failed, %d warnings failed",
        result.suite,
        result.interval_start.isoformat(),
        len(result.outcomes),
        len(result.critical_failures),
        len(result.warning_failures),
    )


_INSERT = """
insert into audit.validation_results (run_id, interval_start, suite, expectation, column_name,
    severity, success, observed_value, unexpected_count, element_count)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


def record_results(settings: Settings, result: SuiteResult) -> None:
    """Replace this (run, interval, suite)'s rows in ``audit.validation_results``.

    Replacing keeps task retries idempotent: a retried validation does not double the rows.
    """
    import psycopg

    rows = [
        (
            result.run_id,
            result.interval_start,
            o.suite,
            o.expectation,
            o.column,
            o.severity,
            o.success,
            o.observed_value,
            o.unexpected_count,
            o.element_count,
        )
        for o in result.outcomes
    ]
    with psycopg.connect(settings.warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "delete from audit.validation_results "
            "where run_id = %s and interval_start = %s and suite = %s",
            (result.run_id, result.interval_start, result.suite),
        )
        cur.executemany(_INSERT, rows)
