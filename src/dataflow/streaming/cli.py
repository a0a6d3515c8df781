"""``dataflow stream ...``: produce events, consume them locally, package the Lambda."""

from __future__ import annotations

import argparse
import json
import sys

from dataflow.settings import get_settings


def cmd_produce(args: argparse.Namespace) -> int:
    from dataflow.runtime import ensure_data_services
    from dataflow.streaming.producer import produce

    settings = get_settings()
    ensure_data_services(settings)
    report = produce(
        settings,
        args.events,
        rate=args.rate,
        seed=args.seed,
        anomaly_rate=args.anomaly_rate,
        poison_rate=args.poison_rate,
        progress=sys.stderr.isatty() and not args.no_progress,
    )
    print(json.dumps(report.to_dict(), indent=2))
    return 0


def cmd_consume(args: argparse.Namespace) -> int:
    from dataflow.runtime import ensure_data_services
    from dataflow.streaming.local import consume

    settings = get_settings()
    ensure_data_services(settings)
    report = consume(
        settings,
        follow=args.follow,
        max_seconds=args.max_seconds,
        progress=sys.stderr.isatty() and not args.no_progress,
    )
    print(json.dumps(report.to_dict(), indent=2))
    return 0


def cmd_package(args: argparse.Namespace) -> int:
    from dataflow.streaming.package import build_package, upload_package

    settings = get_settings()
    path = build_package(settings, args.output)
    print(f"built {path} ({path.stat().st_size / 1e6:.1f} MB)")
    if args.upload:
        print(f"uploaded to {upload_package(settings, path)}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from dataflow.streaming.status import stream_status

    print(json.dumps(stream_status(get_settings()), indent=2, default=str))
    return 0


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction between 0 and 1")
    return value


def add_stream_parser(sub) -> None:
    """The ``stream`` sub-command and its own sub-commands."""
    stream = sub.add_parser("stream", help="Kinesis events: produce, consume, package the Lambda")
    actions = stream.add_subparsers(dest="stream_command", required=True, metavar="ACTION")

    produce = actions.add_parser("produce", help="put events of the contract on the streams")
    produce.add_argument("--events", type=int, required=True, help="how many records to put")
    produce.add_argument("--rate", type=float, help="records per second (default: as fast)")
    produce.add_argument("--seed", type=int, default=42, help="seed of events and defects")
    produce.add_argument(
        "--anomaly-rate",
        type=_rate,
        default=0.01,
        help="fraction made anomalous transactions (amount > 10000)",
    )
    produce.add_argument(
        "--poison-rate",
        type=_rate,
        default=0.01,
        help="fraction replaced by poison records (not JSON / not the schema)",
    )
    produce.add_argument("--no-progress", action="store_true", help="no progress bar")
    produce.set_defaults(func=cmd_produce)

    consume = actions.add_parser(
        "consume", help="poll the shards and invoke the consumer handler in-process"
    )
    mode = consume.add_mutually_exclusive_group()
    mode.add_argument(
        "--drain", action="store_true", help="stop when every shard is caught up (default)"
    )
    mode.add_argument("--follow", action="store_true", help="keep polling until interrupted")
    consume.add_argument("--max-seconds", type=float, help="stop after this long")
    consume.add_argument("--no-progress", action="store_true", help="no progress bar")
    consume.set_defaults(func=cmd_consume)

    package = actions.add_parser("package", help="build the Lambda deployment zip")
    package.add_argument("--output", help="zip path (default: <DATAFLOW_HOME>/dist/...)")
    package.add_argument(
        "--upload",
        action="store_true",
        help="upload it where the template expects it (lake bucket, ConsumerCodeKey)",
    )
    package.set_defaults(func=cmd_package)

    status = actions.add_parser("status", help="checkpoints, lag and queue depths as JSON")
    status.set_defaults(func=cmd_status)
