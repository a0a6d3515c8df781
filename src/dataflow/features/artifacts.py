"""What the Glue job needs besides its script: the ``dataflow.features`` job modules as a zip.

Glue puts ``--extra-py-files`` on the job's path. The zip holds only the modules that need
nothing but pyspark and the standard library (``tests/unit/features/test_features_artifacts.py``
imports it without the project installed).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from dataflow.settings import Settings

LIBRARY_NAME = "dataflow_features.zip"
LIBRARY_MODULES = (
    "dataflow/__init__.py",
    "dataflow/features/__init__.py",
    "dataflow/features/schema.py",
    "dataflow/features/transforms.py",
    "dataflow/features/job.py",
)
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # same bytes for the same sources


def library_zip(settings: Settings) -> bytes:
    """The zip of :data:`LIBRARY_MODULES` (deterministic)."""
    source_root = settings.project_root / "src"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in LIBRARY_MODULES:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (source_root / name).read_bytes())
    return buffer.getvalue()


def write_library_zip(settings: Settings, folder: Path) -> Path:
    """:func:`library_zip` as ``folder/dataflow_features.zip``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LIBRARY_NAME
    path.write_bytes(library_zip(settings))
    return path
