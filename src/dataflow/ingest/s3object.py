"""Read one S3 object as a stream of chunks that survives connection resets.

botocore retries a request that fails (throttling, 5xx, a refused connection) before its
body starts, but not a body stream that breaks half-way (reset, timeout, short read). Then
the object is requested again from the first byte not yet delivered (``Range``), pinned to
the same version with ``IfMatch`` on its ETag, so the bytes that come out are exactly those
of one version of the object, each once. If the object changed meanwhile,
:class:`LandingFileChanged` tells the caller to start that file again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

log = logging.getLogger(__name__)

MAX_RESUMES = 5
RESUME_BACKOFF_SECONDS = 0.2


class LandingFileChanged(RuntimeError):
    """The object was replaced while it was being read (its ETag no longer matches)."""


def transient_stream_errors() -> tuple[type[BaseException], ...]:
    """Errors of a body stream that breaks mid-way: worth resuming from where it stopped."""
    from botocore.exceptions import (
        ConnectionClosedError,
        IncompleteReadError,
        ReadTimeoutError,
        ResponseStreamingError,
    )
    from urllib3.exceptions import ProtocolError

    return (
        ConnectionClosedError,
        IncompleteReadError,
        ReadTimeoutError,
        ResponseStreamingError,
        ProtocolError,
        ConnectionError,
    )


class S3Object:
    """``get_object`` of ``bucket``/``key``; :meth:`chunks` streams it, resuming on resets."""

    def __init__(self, s3, bucket: str, key: str, etag: str | None = None):
        self._s3, self.bucket, self.key = s3, bucket, key
        response = self._get(etag=etag)
        self.etag: str = response["ETag"]
        self.size: int = response["ContentLength"]
        self._body = response["Body"]
        self.resumes = 0

    def chunks(self, chunk_bytes: int) -> Iterator[bytes]:
        """The object's bytes in chunks of at most ``chunk_bytes``, each byte exactly once."""
        delivered = 0
        errors = transient_stream_errors()
        while True:
            try:
                for chunk in self._body.iter_chunks(chunk_bytes):
                    delivered += len(chunk)
                    yield chunk
                if delivered >= self.size:
                    return
                raise ConnectionError(f"stream ended at byte {delivered} of {self.size}")
            except errors as exc:
                if delivered >= self.size:  # every byte arrived; only the goodbye broke
                    return
                self._resume(delivered, exc)

    def _resume(self, delivered: int, exc: BaseException) -> None:
        self.close()
        self.resumes += 1
        if self.resumes > MAX_RESUMES:
            raise exc
        log.warning(
            "s3://%s/%s: stream broke at byte %d of %d (%s); resuming (%d/%d)",
            self.bucket, self.key, delivered, self.size, exc, self.resumes, MAX_RESUMES,
        )  # fmt: skip
        time.sleep(RESUME_BACKOFF_SECONDS * 2 ** (self.resumes - 1))
        self._body = self._get(etag=self.etag, first_byte=delivered)["Body"]

    def _get(self, etag: str | None, first_byte: int = 0) -> dict:
        from botocore.exceptions import ClientError

        params = {"Bucket": self.bucket, "Key": self.key}
        if etag is not None:
            params["IfMatch"] = etag
        if first_byte:
            params["Range"] = f"bytes={first_byte}-"
        try:
            return self._s3.get_object(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "412"):
                raise LandingFileChanged(
                    f"s3://{self.bucket}/{self.key} changed while it was being loaded "
                    f"(ETag {etag} no longer matches); load it again"
                ) from exc
            raise

    def close(self) -> None:
        try:
            self._body.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close; nothing to do
            pass
