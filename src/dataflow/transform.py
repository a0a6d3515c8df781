"""Run the dbt project (``dbt/``) in-process: vars for a data interval, manifest, invocations.

The DAG (through Cosmos), the CLI and the tests all go through these helpers so dbt always
sees the same project, profiles and connection environment.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dataflow.runtime.env import TELEMETRY_OFF, dbt_env
from dataflow.settings import Settings

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult


class DbtRunError(RuntimeError):
    """A dbt invocation did not succeed."""


def _utc_iso(moment: datetime, name: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{name}={moment.isoformat()} has no time zone; pass an aware datetime (UTC) "
            "so the data interval is unambiguous"
        )
    return moment.astimezone(UTC).isoformat()


def dbt_vars(interval_start: datetime, interval_end: datetime) -> dict[str, str]:
    """dbt ``--vars`` for the data interval ``[interval_start, interval_end)``, ISO-8601 UTC.

    Raises ``ValueError`` for naive datetimes or an empty/inverted interval.
    """
    start = _utc_iso(interval_start, "interval_start")
    end = _utc_iso(interval_end, "interval_end")
    if interval_end <= interval_start:
        raise ValueError(f"data interval end {end} must be after its start {start}")
    return {"data_interval_start": start, "data_interval_end": end}


def _dbt_dir_args(settings: Settings) -> list[str]:
    project = str(settings.dbt_project_dir)
    return ["--project-dir", project, "--profiles-dir", project]


def _export_dbt_env(settings: Settings) -> None:
    # dbt reads profiles.yml's env_var() from the process environment; set exactly what
    # dbt_env() declares (and telemetry off) so in-process runs match `dataflow env`.
    os.environ.update(dbt_env(settings))
    os.environ.update(TELEMETRY_OFF)


def _failure_summary(result: dbtRunnerResult) -> str:
    if result.exception is not None:
        return f"{type(result.exception).__name__}: {result.exception}"
    failed = [
        f"{r.node.unique_id} ({r.status}): {r.message}"
        for r in getattr(result.result, "results", None) or []
        if str(r.status) in {"error", "fail", "runtime error"}
    ]
    return "; ".join(failed) or "see dbt/logs/dbt.log"


def run_dbt(settings: Settings, args: list[str]) -> dbtRunnerResult:
    """Invoke dbt in-process with ``args`` (e.g. ``["build", "--vars", "{...}"]``).

    Project and profiles dirs are added; raises :class:`DbtRunError` naming the failed nodes
    when dbt does not succeed.
    """
    from dbt.cli.main import dbtRunner

    _export_dbt_env(settings)
    result = dbtRunner().invoke([*args, *_dbt_dir_args(settings)])
    if not result.success:
        raise DbtRunError(
            f"dbt {' '.join(args)} failed: {_failure_summary(result)}. "
            "Fix the failing model or test, then rerun the same interval."
        )
    return result


def replace_file_atomically(source: Path, destination: Path) -> None:
    """Copy ``source`` over ``destination`` so a reader sees the old file or the new, never half.

    The copy goes to a temporary file next to ``destination`` (same filesystem), is flushed to
    disk, then renamed over it with ``os.replace`` — atomic on POSIX.
    """
    import shutil
    import tempfile

    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(0o644)
        os.replace(tmp, destination)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def build_manifest(settings: Settings) -> Path:
    """``dbt parse`` into a private target path, then publish the DAG's manifest atomically.

    Cosmos renders the DAG from :attr:`Settings.dbt_manifest_path` (``LoadMode.DBT_MANIFEST``)
    without invoking dbt. The dag-processor may read it at any moment, so it is replaced in
    one rename, never rewritten in place.
    """
    target = settings.dbt_parse_target_dir
    run_dbt(settings, ["parse", "--target-path", str(target)])
    parsed = target / "manifest.json"
    if not parsed.is_file():
        raise DbtRunError(f"dbt parse succeeded but wrote no manifest at {parsed}")
    replace_file_atomically(parsed, settings.dbt_manifest_path)
    return settings.dbt_manifest_path


def compare_marts_with_full_refresh(settings: Settings, vars: dict) -> dict[str, int]:
    """Differing rows per relation (``schema.name``) between the incremental state and a
    ``dbt build --full-refresh --vars vars`` of the same raw data; all 0 when they agree.

    Runs the full refresh in place (the warehouse is left in its full-refresh state). For the
    differing rows themselves use :func:`dataflow.full_refresh_check.full_refresh_differences`.
    """
    from dataflow.full_refresh_check import full_refresh_differences

    return {name: diff.rows for name, diff in full_refresh_differences(settings, vars).items()}
