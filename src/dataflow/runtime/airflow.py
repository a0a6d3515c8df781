"""Airflow on the local Postgres: metadata DB migration, web-UI login, and the services.

``dataflow up`` starts api-server, scheduler, dag-processor and triggerer as detached
processes with pid files in ``<DATAFLOW_HOME>/run``; ``dataflow down`` stops those pids only.

DAG runs go through those services (``dataflow.runtime.dagruns``), not ``airflow dags test``:
``dags test`` runs tasks one at a time in arbitrary order, and a Cosmos watcher consumer that
runs before the producer defers into an inline trigger that waits for it forever.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from dataflow.runtime import processes
from dataflow.runtime.env import service_env
from dataflow.settings import Settings

SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")
ADMIN_USER = "admin"


class AirflowCommandError(RuntimeError):
    """An ``airflow`` CLI command failed; the message carries its output."""


def airflow_bin() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else (shutil.which("airflow") or "airflow")


def airflow_subprocess_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, **service_env(settings)}


def run_airflow(settings: Settings, *args: str) -> str:
    """Run ``airflow <args>`` against this runtime and return its output."""
    proc = subprocess.run(
        [airflow_bin(), *args],
        env=airflow_subprocess_env(settings),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise AirflowCommandError(
            f"`airflow {' '.join(args)}` failed (exit {proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc.stdout


def migrated_marker(settings: Settings) -> Path:
    return settings.airflow_home / ".migrated"


def ensure_airflow_db(settings: Settings) -> None:
    """Run ``airflow db migrate`` once per installation (and after upgrades)."""
    import airflow

    marker = migrated_marker(settings)
    if marker.exists() and marker.read_text() == airflow.__version__:
        return
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    run_airflow(settings, "db", "migrate")
    marker.write_text(airflow.__version__)


def ensure_admin_password(settings: Settings) -> str:
    """The web-UI password of ``admin`` (generated once, stored with mode 0600)."""
    path = settings.airflow_home / "passwords.json"
    if path.exists():
        return json.loads(path.read_text())[ADMIN_USER]
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.write_text(json.dumps({ADMIN_USER: password}))
    path.chmod(0o600)
    return password


def running_services(settings: Settings) -> dict[str, int | None]:
    return {name: processes.read_pid(settings.run_dir, name) for name in SERVICES}


def start_airflow(settings: Settings) -> list[str]:
    """Start the Airflow services that are not running yet; returns those started."""
    ensure_airflow_db(settings)
    ensure_admin_password(settings)
    running = running_services(settings)
    if running["api-server"] is None:
        processes.check_port_free(settings.airflow_port, "the Airflow api-server")
    env = airflow_subprocess_env(settings)
    started = []
    for name in SERVICES:
        if running[name] is not None:
            continue
        argv = [airflow_bin(), name]
        if name == "api-server":
            argv += ["--port", str(settings.airflow_port), "--host", "127.0.0.1"]
        processes.spawn(name, argv, settings.run_dir, env=env)
        started.append(name)
    if "api-server" in started:
        processes.wait_for_port(
            settings.airflow_port, 120, "Airflow api-server", settings.run_dir / "api-server.log"
        )
    return started


def stop_airflow(settings: Settings) -> list[str]:
    return [name for name in reversed(SERVICES) if processes.stop(settings.run_dir, name)]


def _json_output(out: str) -> list[dict]:
    """The JSON document of ``airflow ... -o json`` output, skipping any log lines before it."""
    for line in out.splitlines():
        if line.startswith("[{") or line.strip() == "[]":
            return json.loads(line)
    raise AirflowCommandError(f"no JSON in Airflow CLI output:\n{out[-2000:]}")


def task_states(settings: Settings, dag_id: str, run_id: str) -> list[dict]:
    """Task instances of a run as dicts (``task_id``, ``state``, ...), via the Airflow CLI."""
    out = run_airflow(settings, "tasks", "states-for-dag-run", dag_id, run_id, "-o", "json")
    return _json_output(out)


def latest_runs(settings: Settings, dag_id: str) -> list[dict]:
    """The DAG's runs, newest first, via the Airflow CLI."""
    return _json_output(run_airflow(settings, "dags", "list-runs", dag_id, "-o", "json"))
