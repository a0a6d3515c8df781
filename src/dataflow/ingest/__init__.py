"""Streaming S3 landing files -> Postgres ``raw.*`` loader with quarantine and load audit.

``load_interval`` (the hourly DAG) and ``load_files`` (given keys, e.g. the events
micro-batch) are the entry points; see ``docs/ingest.md`` for the design.
"""

from dataflow.ingest.errors import LandingFileError, PostgresRefusedRows, UnreadableFileError
from dataflow.ingest.header import HeaderMismatchError
from dataflow.ingest.keys import LandingKeyError
from dataflow.ingest.loader import load_files, load_interval
from dataflow.ingest.results import FileLoadResult, LoadResult
from dataflow.ingest.s3object import LandingFileChanged

__all__ = [
    "FileLoadResult",
    "HeaderMismatchError",
    "LandingFileChanged",
    "LandingFileError",
    "LandingKeyError",
    "LoadResult",
    "PostgresRefusedRows",
    "UnreadableFileError",
    "load_files",
    "load_interval",
]
