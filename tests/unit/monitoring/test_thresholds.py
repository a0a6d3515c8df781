"""Thresholds come from one file and are checked when read."""

from __future__ import annotations

import copy

import pytest
import yaml

from dataflow.monitoring.thresholds import (
    THRESHOLDS_FILE,
    InvalidThresholds,
    load_thresholds,
    parse_thresholds,
)


def document() -> dict:
    return yaml.safe_load(THRESHOLDS_FILE.read_text())


def test_freshness_sla_tolerates_two_missed_hourly_runs_plus_grace():
    t = load_thresholds()
    # last success at t0; runs at t0+1h and t0+2h missed; the one at t0+3h may be 30 min late
    assert t.freshness_max_age_seconds == (3 * 60 + 30) * 60


def test_fewer_than_two_tolerated_missed_runs_is_refused():
    doc = copy.deepcopy(document())
    doc["freshness"]["missed_runs_tolerated"] = 1
    with pytest.raises(InvalidThresholds, match="missed_runs_tolerated"):
        parse_thresholds(doc)


def test_a_missing_value_names_its_key():
    doc = copy.deepcopy(document())
    del doc["quality"]["min_score_ratio"]
    with pytest.raises(InvalidThresholds, match="quality.min_score_ratio"):
        parse_thresholds(doc)


def test_ratios_outside_zero_to_one_are_refused():
    doc = copy.deepcopy(document())
    doc["ingestion"]["max_quarantine_ratio"] = 5
    with pytest.raises(InvalidThresholds, match="max_quarantine_ratio"):
        parse_thresholds(doc)
