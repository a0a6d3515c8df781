"""Every CloudFormation template in aws/ passes cfn-lint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = sorted((ROOT / "aws").rglob("*.yaml"))


def test_there_are_templates_to_lint():
    assert TEMPLATES, "no CloudFormation templates under aws/"


def test_cfn_lint_reports_nothing_on_any_template():
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    proc = subprocess.run(
        [str(cfn_lint), "--format", "parseable", *map(str, TEMPLATES)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
