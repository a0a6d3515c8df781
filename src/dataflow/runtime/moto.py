"""A local moto *server* as the AWS endpoint (a separate process, real HTTP)."""

from __future__ import annotations

import sys
from pathlib import Path

from dataflow.runtime import processes
from dataflow.settings import Settings

NAME = "moto"


def moto_running(settings: Settings) -> bool:
    return processes.read_pid(settings.run_dir, NAME) is not None


def ensure_moto_server(settings: Settings) -> bool:
    """Start the moto server on 127.0.0.1:<moto_port> unless ours is already running.

    Returns True when this call started it.
    """
    if moto_running(settings):
        return False
    processes.check_port_free(settings.moto_port, "the moto server (local AWS)")
    moto_bin = Path(sys.executable).with_name("moto_server")
    argv = [str(moto_bin), "-H", "127.0.0.1", "-p", str(settings.moto_port)]
    processes.spawn(NAME, argv, settings.run_dir)
    processes.wait_for_port(settings.moto_port, 30, "moto server", settings.run_dir / f"{NAME}.log")
    return True


def stop_moto_server(settings: Settings) -> bool:
    return processes.stop(settings.run_dir, NAME)
