"""Where generated files go: the landing bucket (:class:`S3Sink`) or memory (:class:`MemorySink`).

A sink hands out one writable binary file per key. ``S3Sink`` spools each file to a temporary
file (in memory up to a few MB, then on disk) and uploads it in a background thread while the
next file is generated, so memory stays flat however large the run.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from typing import BinaryIO, Protocol

from dataflow.settings import Settings

SPOOL_BYTES = 8 * 1024 * 1024
# s3transfer reads up to (in-memory chunks × chunk size) of a multipart upload into memory;
# its default (10 × 8 MB, plus copies) would dominate the generator's footprint
UPLOAD_CONCURRENCY = 4
UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024


class Sink(Protocol):
    """Destination of generated files."""

    def open(self, key: str) -> AbstractContextManager[BinaryIO]: ...

    def put(self, key: str, data: bytes) -> None: ...

    def close(self) -> None: ...


class MemorySink:
    """Keeps every file as bytes in ``files`` (for tests and small runs)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        buffer = io.BytesIO()
        yield buffer
        self.files[key] = buffer.getvalue()

    def put(self, key: str, data: bytes) -> None:
        self.files[key] = data

    def close(self) -> None:
        """Nothing to flush."""


class S3Sink:
    """Uploads each file to ``bucket``; at most one upload runs behind the generator."""

    def __init__(self, settings: Settings, bucket: str | None = None) -> None:
        from boto3.s3.transfer import TransferConfig

        from dataflow.aws import s3_client

        self.bucket = bucket or settings.landing_bucket
        self.client = s3_client(settings)
        self._transfer = TransferConfig(
            max_concurrency=UPLOAD_CONCURRENCY,
            multipart_chunksize=UPLOAD_CHUNK_BYTES,
            multipart_threshold=UPLOAD_CHUNK_BYTES,
        )
        self._transfer.max_in_memory_upload_chunks = UPLOAD_CONCURRENCY
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-upload")
        self._pending: Future | None = None

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        try:
            yield spool
        except BaseException:
            spool.close()
            raise
        self._wait()
        self._pending = self._executor.submit(self._upload, spool, key)

    def _upload(self, spool: BinaryIO, key: str) -> None:
        with spool:
            spool.seek(0)
            self.client.upload_fileobj(spool, self.bucket, key, Config=self._transfer)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()  # re-raises an upload error here, in the caller's thread

    def put(self, key: str, data: bytes) -> None:
        self._wait()
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def close(self) -> None:
        """Wait for the last upload (raising its error, if any) and stop the upload thread."""
        try:
            self._wait()
        finally:
            self._executor.shutdown(wait=True)
