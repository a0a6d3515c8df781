"""``dataflow metrics serve``: the platform's Prometheus exporter (``/metrics``).

One :class:`~dataflow.monitoring.collectors.PlatformCollector` in its own registry (no process
or platform metrics of the exporter itself: node-exporter covers the machine), served by
prometheus-client's threading HTTP server.
"""

from __future__ import annotations

import logging
import signal
import threading

from prometheus_client import CollectorRegistry, generate_latest

from dataflow.settings import Settings

log = logging.getLogger(__name__)


def metric_sources(settings: Settings) -> list:
    """The sources every scrape reads: the warehouse, the Airflow API, optional components."""
    from dataflow.contracts import BATCH_SOURCES
    from dataflow.monitoring.collectors import AirflowSource, WarehouseSource
    from dataflow.quality.suites import available_suites

    suites = available_suites(settings.gx_dir)
    return [
        WarehouseSource(settings, suites, list(BATCH_SOURCES)),
        AirflowSource(settings),
        *component_sources(settings),
    ]


def component_sources(settings: Settings) -> list:
    """Sources of platform parts that exist only once built (streaming, AWS jobs).

    Their metrics are absent, not faked, until those parts are part of the platform.
    """
    return []


def build_registry(settings: Settings) -> CollectorRegistry:
    from dataflow.monitoring.collectors import PlatformCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(PlatformCollector(metric_sources(settings)))
    return registry


def scrape(registry: CollectorRegistry) -> bytes:
    """One scrape in the Prometheus text format (what ``GET /metrics`` returns)."""
    return generate_latest(registry)


def serve(settings: Settings, port: int | None = None, host: str = "127.0.0.1") -> None:
    """Serve ``/metrics`` until SIGTERM or SIGINT."""
    from prometheus_client import start_http_server

    port = port or settings.exporter_port
    server, thread = start_http_server(port, addr=host, registry=build_registry(settings))
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    print(f"dataflow metrics exporter on http://{host}:{port}/metrics", flush=True)
    stopped.wait()
    server.shutdown()
    thread.join(timeout=5)
