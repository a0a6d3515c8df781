"""Streaming S3 landing files -> Postgres ``raw.*`` loader with quarantine and load audit.

``load_interval`` is the entry point; see ``docs/ingest.md`` for the design.
"""

from dataflow.ingest.header import HeaderMismatchError
from dataflow.ingest.loader import load_interval
from dataflow.ingest.results import FileLoadResult, LoadResult

__all__ = ["FileLoadResult", "HeaderMismatchError", "LoadResult", "load_interval"]
