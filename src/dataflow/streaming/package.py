"""The consumer Lambda's deployment package, built from the repository and the locked venv.

The zip holds ``stream_consumer/`` (the handler), the two modules of ``dataflow`` it imports
(``dataflow/__init__.py``, ``dataflow/contracts.py``: the landing-key layout and event types,
shared with the batch path) and the distributions it needs beyond the Lambda runtime's boto3,
copied from this environment so AWS runs the versions the tests ran: Powertools, pydantic (with
its compiled core: build on Linux x86_64 / CPython 3.11, the function's ``Runtime`` and
``Architectures``), jmespath and their small dependencies. ``upload_package`` puts it where the
template's ``Code`` points (``s3://<lake bucket>/<ConsumerCodeKey>``).
"""

from __future__ import annotations

import zipfile
from importlib import metadata
from pathlib import Path

from dataflow.settings import Settings

FUNCTION_PACKAGE = Path("aws") / "lambda_functions" / "stream_consumer"
SHARED_MODULES = ("src/dataflow/__init__.py", "src/dataflow/contracts.py")
DISTRIBUTIONS = (
    "aws-lambda-powertools",
    "pydantic",
    "pydantic-core",
    "typing-extensions",
    "annotated-types",
    "typing-inspection",
    "jmespath",
)
CODE_KEY = "artifacts/lambda/stream_consumer.zip"


def default_package_path(settings: Settings) -> Path:
    return settings.home / "dist" / "stream_consumer.zip"


def build_package(settings: Settings, output: str | Path | None = None) -> Path:
    """Write the zip; returns its path. Deterministic member order, no byte-code."""
    path = Path(output) if output else default_package_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for source, name in sorted(package_members(settings), key=lambda m: m[1]):
            archive.write(source, name)
    return path


def package_members(settings: Settings) -> list[tuple[Path, str]]:
    """``(file on disk, name in the zip)`` of everything the function needs."""
    root = settings.project_root
    members = [(f, f"stream_consumer/{f.name}") for f in (root / FUNCTION_PACKAGE).glob("*.py")]
    members += [(root / m, m.removeprefix("src/")) for m in SHARED_MODULES]
    for name in DISTRIBUTIONS:
        members += distribution_files(name)
    return members


def distribution_files(name: str) -> list[tuple[Path, str]]:
    """The installed files of distribution ``name`` (its RECORD), without byte-code."""
    dist = metadata.distribution(name)
    files = []
    for file in dist.files or []:
        if "__pycache__" in file.parts or file.suffix == ".pyc" or file.parts[0] == "..":
            continue
        located = Path(dist.locate_file(file))
        if located.is_file():
            files.append((located, file.as_posix()))
    return files


def upload_package(settings: Settings, path: Path, key: str = CODE_KEY) -> str:
    """Upload the zip to the lake bucket where the template's ``Code`` expects it."""
    from dataflow.aws import s3_client

    s3_client(settings).upload_file(str(path), settings.lake_bucket, key)
    return f"s3://{settings.lake_bucket}/{key}"
