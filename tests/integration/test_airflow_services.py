"""`dataflow up` / `down`: real Airflow services, idempotent start, pid-scoped stop."""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.request

import pytest

from dataflow.runtime import processes


@pytest.fixture(scope="module")
def airflow_up(settings):
    """Airflow started from stopped (another module may have left it running)."""
    from dataflow.runtime.airflow import start_airflow, stop_airflow

    stop_airflow(settings)
    started = start_airflow(settings)
    yield started
    stop_airflow(settings)


def test_up_starts_every_service_and_the_api_is_healthy(settings, airflow_up):
    from dataflow.runtime.airflow import SERVICES

    assert set(airflow_up) == set(SERVICES)
    with urllib.request.urlopen(f"{settings.airflow_url}/api/v2/monitor/health") as resp:
        health = json.load(resp)
    assert health["metadatabase"]["status"] == "healthy"


def test_up_twice_is_harmless(settings, airflow_up):
    from dataflow.runtime.airflow import running_services, start_airflow

    before = running_services(settings)
    assert start_airflow(settings) == []
    assert running_services(settings) == before


def test_admin_can_log_in_with_the_printed_password(settings, airflow_up):
    from dataflow.runtime.airflow import ADMIN_USER, ensure_admin_password

    body = json.dumps({"username": ADMIN_USER, "password": ensure_admin_password(settings)})
    req = urllib.request.Request(
        f"{settings.airflow_url}/auth/token",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req) as resp:
        assert json.load(resp)["access_token"]


def test_down_stops_the_services_it_started_and_nothing_else(settings, airflow_up):
    from dataflow.runtime.airflow import SERVICES, running_services, stop_airflow

    stranger = subprocess.Popen(["sleep", "60"])
    try:
        pids = running_services(settings)
        assert set(stop_airflow(settings)) == set(SERVICES)
        assert not any(processes.pid_alive(pid) for pid in pids.values())
        assert not processes.port_open(settings.airflow_port)
        assert stranger.poll() is None, "an unrelated process was signalled"
    finally:
        stranger.kill()


def test_taken_port_gives_a_clear_message():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(processes.PortInUseError, match=f"port {port} .*already in use"):
            processes.check_port_free(port, "the Airflow api-server")
