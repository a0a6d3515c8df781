"""Every `dataflow` subcommand answers --help."""

from __future__ import annotations

import subprocess
import sys

import pytest

SUBCOMMANDS = ["up", "down", "status", "env", "generate", "demo", "dbt-parse"]


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_subcommand_help(command):
    out = subprocess.run(
        [sys.executable, "-m", "dataflow.cli", command, "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith(f"usage: dataflow {command}")


def test_env_prints_export_lines():
    out = subprocess.run(
        [sys.executable, "-m", "dataflow.cli", "env"], capture_output=True, text=True, check=True
    ).stdout
    names = {line.split("=")[0].removeprefix("export ") for line in out.splitlines()}
    assert {"WAREHOUSE_URL", "AWS_ENDPOINT_URL", "AIRFLOW_URL"} <= names
