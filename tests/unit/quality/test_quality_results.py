"""The critical gate and result formatting work on plain data (e.g. XCom summaries)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from dataflow.quality import (
    CriticalExpectationsFailed,
    ExpectationOutcome,
    SuiteResult,
    check_critical,
)
from dataflow.quality.engine import observed_text, run_name

START = datetime(2024, 5, 1, 13, tzinfo=UTC)


def outcome(severity="critical", success=True, column="email"):
    return ExpectationOutcome(
        suite="customers",
        expectation="expect_column_values_to_match_regex",
        column=column,
        severity=severity,
        success=success,
        observed_value="100 of 500 rows unexpected (20.00%)",
        threshold="mostly=0.95",
        unexpected_count=100,
        element_count=500,
    )


def summary(*outcomes):
    """A summary as it comes back from XCom (through JSON)."""
    return json.loads(json.dumps(SuiteResult("customers", "run-1", START, outcomes).to_summary()))


def test_failed_critical_in_a_summary_raises_with_suite_expectation_column_and_threshold():
    with pytest.raises(CriticalExpectationsFailed) as raised:
        check_critical([summary(outcome(success=False)), summary(outcome())])

    message = str(raised.value)
    assert "1 critical expectation(s) failed" in message
    assert (
        "customers / expect_column_values_to_match_regex / email: observed 100 of 500 rows "
        "unexpected (20.00%), threshold mostly=0.95" in message
    )
    assert "run_id = 'run-1'" in message
    assert len(raised.value.failures) == 1


def test_failed_warnings_do_not_raise():
    check_critical([summary(outcome(severity="warning", success=False), outcome())])


def test_summary_counts_failures_by_severity():
    result = summary(outcome(success=False), outcome(severity="warning", success=False), outcome())

    assert (result["success"], result["evaluated"]) == (False, 3)
    assert (result["critical_failed"], result["warnings_failed"]) == (1, 1)


@pytest.mark.parametrize(
    ("result", "error", "text"),
    [
        ({"unexpected_count": 3, "element_count": 200}, None, "3 of 200 rows unexpected (1.50%)"),
        ({"unexpected_count": 0, "element_count": 0}, None, "0 of 0 rows unexpected (0.00%)"),
        ({"observed_value": 0}, None, "0"),
        ({"details": {"mismatched": {"missing": ["b", "a"]}}}, None, "missing columns ['a', 'b']"),
        ({}, "column 'x' does not exist", "error: column 'x' does not exist"),
    ],
)
def test_observed_text(result, error, text):
    assert observed_text(result, error) == text


def test_airflow_run_ids_become_safe_file_names():
    assert (
        run_name("scheduled__2024-05-01T13:00:00+00:00") == "scheduled__2024-05-01T13_00_00_00_00"
    )
