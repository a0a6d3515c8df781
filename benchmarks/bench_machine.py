"""The machine a benchmark ran on, and waiting for it to be quiet before a timed measurement."""

from __future__ import annotations

import os
import platform
import subprocess
import time

QUIET_POLL_SECONDS = 30
QUIET_MAX_WAIT_SECONDS = 600
BUSY_PATTERN = "pytest"


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(value, 2) for value in os.getloadavg()]


def cpu_model() -> str:
    """``model name`` of the first CPU in /proc/cpuinfo (or the platform's processor)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib() -> float:
    """Total RAM in GiB from /proc/meminfo."""
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return 0.0


def postgres_version(settings) -> str:
    """``server_version`` of the warehouse's Postgres."""
    import psycopg

    with psycopg.connect(settings.warehouse_url) as conn:
        return conn.execute("show server_version").fetchone()[0]


def describe_machine(settings) -> dict:
    """nproc, RAM, CPU model, kernel, Python and Postgres versions."""
    return {
        "nproc": os.cpu_count(),
        "ram_gib": ram_gib(),
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": postgres_version(settings),
    }


def busy_processes() -> list[str]:
    """Command lines of other processes matching ``BUSY_PATTERN`` (test suites)."""
    proc = subprocess.run(
        ["pgrep", "-af", BUSY_PATTERN], capture_output=True, text=True, check=False
    )
    own = {str(os.getpid()), str(os.getppid())}
    return [line for line in proc.stdout.splitlines() if line.split(" ", 1)[0] not in own]


def wait_until_quiet(label: str) -> dict:
    """Wait (up to 10 min, polling every 30 s) until no test suite runs; returns what it saw."""
    started = time.monotonic()
    busy = busy_processes()
    while busy and time.monotonic() - started < QUIET_MAX_WAIT_SECONDS:
        print(f"    [{label}] waiting for {len(busy)} pytest process(es) to finish …", flush=True)
        time.sleep(QUIET_POLL_SECONDS)
        busy = busy_processes()
    return {
        "waited_s": round(time.monotonic() - started, 1),
        "quiet": not busy,
        "load_before": load_average(),
    }
