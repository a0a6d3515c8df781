"""Errors that fail a load on purpose: a landing file that cannot be read as a whole.

Bad *rows* never raise (they are quarantined). These are about a whole file, and are not
transient: retrying does not help until the file or the contract is fixed, so the DAG fails
such a task at once (``LandingFileError`` is what it catches).
"""

from __future__ import annotations


class LandingFileError(ValueError):
    """A landing file that cannot be loaded as a whole; ``file_key`` names it."""

    def __init__(self, file_key: str, problem: str):
        self.file_key = file_key
        super().__init__(f"{file_key}: {problem}")


class UnreadableFileError(LandingFileError):
    """The file's bytes cannot be decoded at all (e.g. a corrupt or truncated gzip)."""

    def __init__(self, file_key: str, problem: str):
        super().__init__(
            file_key,
            f"{problem}. No row of it is loaded; replace the file in S3 (or remove it), then "
            "rerun the interval.",
        )


class PostgresRefusedRows(LandingFileError):
    """Postgres kept refusing rows of a file after they were quarantined (should not happen)."""

    def __init__(self, file_key: str, refused: dict[int, str]):
        self.refused = refused
        sample = "; ".join(f"line {n}: {r}" for n, r in sorted(refused.items())[:5])
        super().__init__(
            file_key,
            f"Postgres refused {len(refused)} row(s) that the loader's validation accepted, "
            f"more than it retries per file ({sample}). Report this as a loader bug with the "
            "file; quarantining these lines by hand and rerunning is the workaround.",
        )
