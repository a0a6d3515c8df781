"""The checked-in monitoring files that are generated from code (rules, runbooks, Grafana)."""

from __future__ import annotations

from pathlib import Path

from dataflow.monitoring.rules import RULES_DIR, RUNBOOKS_FILE, render_runbooks, write_rule_files
from dataflow.monitoring.thresholds import load_thresholds


def render_checked_in_files() -> list[Path]:
    """Rewrite every generated file under ``monitoring/``; returns their paths."""
    thresholds = load_thresholds()
    paths = write_rule_files(RULES_DIR, thresholds)
    RUNBOOKS_FILE.write_text(render_runbooks(thresholds))
    paths.append(RUNBOOKS_FILE)
    try:
        from dataflow.monitoring.dashboards import write_grafana_files
    except ImportError:  # grafana-foundation-sdk is a dev dependency
        return paths
    return paths + write_grafana_files(thresholds)
