"""A ``COPY FROM STDIN`` writer that sends on a background thread, with a bounded queue.

Postgres parses ``COPY`` data in its own process, so the loader's Python work (validation,
formatting) can run while the server is busy with the previous block. psycopg's plain
writer blocks the caller while the socket is full; its ``QueuedLibpqWriter`` overlaps but
queues up to 1024 buffers (~128 MiB when the server is the slower side). This writer keeps
the overlap with a queue of a few blocks, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import queue
import threading

MAX_PENDING_BLOCKS = 4


def background_writer(cursor, max_pending: int = MAX_PENDING_BLOCKS):
    """A psycopg ``Writer`` for ``cursor.copy(..., writer=...)`` (see module docstring)."""
    from psycopg.copy import LibpqWriter

    class BackgroundWriter(LibpqWriter):
        def __init__(self) -> None:
            super().__init__(cursor)
            self._queue: queue.Queue = queue.Queue(maxsize=max_pending)
            self._thread: threading.Thread | None = None
            self._error: BaseException | None = None

        def write(self, data) -> None:
            if self._thread is None:
                self._thread = threading.Thread(target=self._drain, name="copy-writer")
                self._thread.start()
            if self._error is not None:
                raise self._error
            self._queue.put(data)

        def finish(self, exc: BaseException | None = None) -> None:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join()
                self._thread = None
            if self._error is not None:
                raise self._error
            super().finish(exc)

        def _drain(self) -> None:
            try:
                while (data := self._queue.get()) is not None:
                    LibpqWriter.write(self, data)
            except BaseException as exc:  # handed to the producer thread
                self._error = exc
                while self._queue.get() is not None:  # unblock the producer
                    pass

    return BackgroundWriter()
