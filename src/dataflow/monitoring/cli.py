"""The monitoring subcommands of ``dataflow``: ``metrics serve`` and ``monitoring ...``.

:func:`add_commands` is the one call ``dataflow.cli.build_parser`` makes.
"""

from __future__ import annotations

import argparse

from dataflow.settings import get_settings


def cmd_metrics_serve(args: argparse.Namespace) -> int:
    from dataflow.monitoring.exporter import serve

    serve(get_settings(), port=args.port, host=args.host)
    return 0


def cmd_monitoring_render(args: argparse.Namespace) -> int:
    """Regenerate the checked-in rule files, runbooks and Grafana files from code."""
    from dataflow.monitoring.render import render_checked_in_files

    for path in render_checked_in_files():
        print(path)
    return 0


def cmd_monitoring_status(args: argparse.Namespace) -> int:
    from dataflow.monitoring.services import print_status

    print_status(get_settings())
    return 0


def add_commands(sub) -> None:
    """Add ``metrics`` and ``monitoring`` to the ``dataflow`` subcommands."""
    metrics = sub.add_parser("metrics", help="the platform's Prometheus exporter")
    metrics_sub = metrics.add_subparsers(dest="metrics_command", required=True, metavar="ACTION")
    serve = metrics_sub.add_parser("serve", help="serve /metrics (foreground)")
    serve.add_argument("--port", type=int, help="port (default DATAFLOW_EXPORTER_PORT, 9108)")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.set_defaults(func=cmd_metrics_serve)

    monitoring = sub.add_parser(
        "monitoring", help="Prometheus rules, runbooks and dashboards; monitoring services"
    )
    mon_sub = monitoring.add_subparsers(dest="monitoring_command", required=True, metavar="ACTION")
    mon_sub.add_parser(
        "render",
        help="regenerate monitoring/prometheus/rules, monitoring/runbooks.md and the Grafana "
        "files from code and monitoring/thresholds.yml",
    ).set_defaults(func=cmd_monitoring_render)
    mon_sub.add_parser(
        "status", help="Prometheus, Alertmanager, exporters: running or not, and their URLs"
    ).set_defaults(func=cmd_monitoring_status)
