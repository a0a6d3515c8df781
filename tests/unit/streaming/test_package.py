"""The Lambda zip imports its handler with nothing but itself and the runtime's boto3."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dataflow.settings import load_settings

RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six.py")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    from dataflow.streaming.package import build_package

    settings = load_settings({"DATAFLOW_HOME": str(tmp_path_factory.mktemp("home"))})
    return build_package(settings)


def test_the_zip_holds_the_handler_the_shared_contract_and_powertools(package):
    names = set(zipfile.ZipFile(package).namelist())

    assert {
        "stream_consumer/handler.py",
        "dataflow/contracts.py",
        "aws_lambda_powertools/__init__.py",
        "pydantic/__init__.py",
    } <= names
    assert not any(n.startswith(("dataflow/ingest", "dataflow/runtime")) for n in names)
    assert not any(n.endswith(".pyc") for n in names)


def test_the_handler_imports_from_the_extracted_zip_alone(package, tmp_path):
    """Like Lambda: the zip extracted, plus the python3.11 runtime's boto3 — no site-packages."""
    code = tmp_path / "task"
    zipfile.ZipFile(package).extractall(code)
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    for name in RUNTIME_PROVIDED:
        (runtime / name).symlink_to(site / name)
    script = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "import stream_consumer.handler as h, pydantic, dataflow\n"
        "assert callable(h.lambda_handler)\n"
        "print(pydantic.__file__); print(dataflow.__file__)\n"
    )
    env = {
        "METRICS_TABLE": "m",
        "IDEMPOTENCY_TABLE": "i",
        "DEAD_LETTER_QUEUE_URL": "q",
        "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:1:t",
        "LAKE_BUCKET": "b",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "n",
    }

    proc = subprocess.run(
        [sys.executable, "-S", "-c", script, str(code), str(runtime)],
        env=env,
        capture_output=True,
        text=True,
    )

    assert proc.returncode == 0, proc.stderr[-3000:]
    assert all(line.startswith(str(code)) for line in proc.stdout.splitlines())
