"""The checked-in generated files are exactly what the code renders (no hand edits, no drift)."""

from __future__ import annotations

import pytest

from dataflow.monitoring.render import compose_files
from dataflow.monitoring.rules import RULES_DIR, RUNBOOKS_FILE, render_rule_files, render_runbooks
from dataflow.monitoring.thresholds import load_thresholds

RERENDER = "out of date: run `dataflow monitoring render` and commit the result"


def test_rule_files_match_the_code():
    rendered = render_rule_files(load_thresholds())
    on_disk = {p.name: p.read_text() for p in RULES_DIR.glob("*.yml")}
    assert on_disk == rendered, RERENDER


def test_runbooks_match_the_code():
    assert RUNBOOKS_FILE.read_text() == render_runbooks(load_thresholds()), RERENDER


def test_compose_prometheus_and_alertmanager_configs_match_the_code():
    for path, text in compose_files().items():
        assert path.read_text() == text, f"{path.name} {RERENDER}"


def test_grafana_files_match_the_code():
    pytest.importorskip("grafana_foundation_sdk")
    from dataflow.monitoring.dashboards import GRAFANA_DIR, grafana_files

    for name, text in grafana_files(load_thresholds()).items():
        assert (GRAFANA_DIR / name).read_text() == text, f"{name} {RERENDER}"
