"""Alerting thresholds, read from the one config file ``monitoring/thresholds.yml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dataflow.settings import PROJECT_ROOT

THRESHOLDS_FILE = PROJECT_ROOT / "monitoring" / "thresholds.yml"


class InvalidThresholds(ValueError):
    """``monitoring/thresholds.yml`` is missing a value or has one out of range."""


@dataclass(frozen=True)
class Thresholds:
    """Every alerting threshold of the platform (see ``monitoring/thresholds.yml``)."""

    schedule_interval_minutes: int
    missed_runs_tolerated: int
    grace_minutes: int
    min_quality_score_ratio: float
    max_failure_ratio: float
    failure_window_hours: int
    max_run_duration_seconds: int
    slow_factor: float
    slow_min_seconds: int
    baseline_runs: int
    max_quarantine_ratio: float
    max_memory_used_ratio: float
    max_consumer_lag_seconds: int
    max_job_age_minutes: int
    runbook_base_url: str

    @property
    def freshness_max_age_seconds(self) -> int:
        """Age of the last successful load after which a table is stale."""
        runs = self.missed_runs_tolerated + 1
        return (runs * self.schedule_interval_minutes + self.grace_minutes) * 60

    @property
    def max_job_age_seconds(self) -> int:
        return self.max_job_age_minutes * 60


def _value(doc: dict, section: str, key: str, kind: type):
    try:
        return kind(doc[section][key])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidThresholds(
            f"{THRESHOLDS_FILE}: `{section}.{key}` is missing or not a {kind.__name__}"
        ) from exc


def parse_thresholds(doc: dict) -> Thresholds:
    """Thresholds from the parsed YAML document; raises :class:`InvalidThresholds`."""
    t = Thresholds(
        schedule_interval_minutes=_value(doc, "freshness", "schedule_interval_minutes", int),
        missed_runs_tolerated=_value(doc, "freshness", "missed_runs_tolerated", int),
        grace_minutes=_value(doc, "freshness", "grace_minutes", int),
        min_quality_score_ratio=_value(doc, "quality", "min_score_ratio", float),
        max_failure_ratio=_value(doc, "pipeline", "max_failure_ratio", float),
        failure_window_hours=_value(doc, "pipeline", "failure_window_hours", int),
        max_run_duration_seconds=_value(doc, "pipeline", "max_run_duration_seconds", int),
        slow_factor=_value(doc, "pipeline", "slow_factor", float),
        slow_min_seconds=_value(doc, "pipeline", "slow_min_seconds", int),
        baseline_runs=_value(doc, "pipeline", "baseline_runs", int),
        max_quarantine_ratio=_value(doc, "ingestion", "max_quarantine_ratio", float),
        max_memory_used_ratio=_value(doc, "infrastructure", "max_memory_used_ratio", float),
        max_consumer_lag_seconds=_value(doc, "streaming", "max_consumer_lag_seconds", int),
        max_job_age_minutes=_value(doc, "aws_jobs", "max_job_age_minutes", int),
        runbook_base_url=_value(doc, "alerting", "runbook_base_url", str),
    )
    _check(t)
    return t


def _check(t: Thresholds) -> None:
    if t.missed_runs_tolerated < 2:
        raise InvalidThresholds("freshness.missed_runs_tolerated must be at least 2")
    for name in ("min_quality_score_ratio", "max_failure_ratio", "max_quarantine_ratio"):
        if not 0 <= getattr(t, name) <= 1:
            raise InvalidThresholds(f"{name} must be a ratio in [0, 1]")
    if t.baseline_runs < 1 or t.slow_factor <= 1:
        raise InvalidThresholds("pipeline.baseline_runs ≥ 1 and pipeline.slow_factor > 1")


@cache
def load_thresholds(path: Path = THRESHOLDS_FILE) -> Thresholds:
    """The platform's thresholds (read once per process)."""
    import yaml

    return parse_thresholds(yaml.safe_load(path.read_text()))
