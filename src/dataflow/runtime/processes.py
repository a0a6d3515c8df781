"""Pid-file bookkeeping for the services the project starts (and only those)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path


class PortInUseError(RuntimeError):
    """A port the project needs is taken by a process it did not start."""


def pid_file(run_dir: Path, name: str) -> Path:
    return run_dir / f"{name}.pid"


def read_pid(run_dir: Path, name: str) -> int | None:
    """The pid recorded for ``name`` if that process is still alive."""
    path = pid_file(run_dir, name)
    try:
        pid = int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def check_port_free(port: int, service: str) -> None:
    """Raise a clear error when ``port`` is taken by something else."""
    if port_open(port):
        raise PortInUseError(
            f"port {port} for {service} is already in use by another process. Stop that "
            f"process or choose another port (see `dataflow env` / docs/runtime.md)."
        )


def spawn(name: str, argv: list[str], run_dir: Path, env: dict[str, str] | None = None) -> int:
    """Start ``argv`` detached, log to ``run_dir/<name>.log`` and record its pid."""
    run_dir.mkdir(parents=True, exist_ok=True)
    log = open(run_dir / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    pid_file(run_dir, name).write_text(str(proc.pid))
    return proc.pid


def stop(run_dir: Path, name: str, timeout: float = 15.0) -> bool:
    """Stop the process group recorded for ``name``. Returns True when something was stopped."""
    pid = read_pid(run_dir, name)
    pid_file(run_dir, name).unlink(missing_ok=True)
    if pid is None:
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return True
            time.sleep(0.1)
    return True


def wait_for_port(port: int, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.2)
    hint = f" See {log}." if log else ""
    raise TimeoutError(f"{what} did not open port {port} within {timeout:.0f}s.{hint}")
