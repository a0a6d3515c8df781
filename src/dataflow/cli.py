"""``dataflow`` — the operator's command line for the local platform.

Every subcommand has ``--help``. Make targets wrap these commands.
"""

from __future__ import annotations

import argparse
import sys

from dataflow.settings import get_settings, redact


def cmd_env(args: argparse.Namespace) -> int:
    from dataflow.runtime.env import export_lines

    print(export_lines(get_settings()))
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from dataflow.monitoring.services import print_monitoring_up
    from dataflow.runtime import ensure_data_services
    from dataflow.runtime.airflow import ensure_admin_password, start_airflow
    from dataflow.runtime.env import apply_service_env
    from dataflow.transform import build_manifest

    settings = get_settings()
    apply_service_env(settings)
    ensure_data_services(settings)
    print(f"Postgres      {redact(settings.warehouse_url)}")
    print(f"AWS endpoint  {settings.aws_endpoint_url or 'real AWS'}")
    if args.data_only:
        return 0
    build_manifest(settings)
    started = start_airflow(settings)
    print(f"Airflow       {', '.join(started) or 'already running'}")
    print(
        f"Web UI        {settings.airflow_url}  (user admin, password "
        f"{ensure_admin_password(settings)})"
    )
    if not settings.auto_schedule:
        print("Schedule      off locally: runs come from the API or UI (DATAFLOW_AUTO_SCHEDULE=1)")
    print_monitoring_up(settings)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from dataflow.monitoring.services import stop_monitoring
    from dataflow.runtime.airflow import stop_airflow
    from dataflow.runtime.moto import stop_moto_server
    from dataflow.runtime.postgres import stop_postgres

    settings = get_settings()
    stopped = stop_monitoring(settings) + stop_airflow(settings)
    if stop_moto_server(settings):
        stopped.append("moto")
    if settings.local_postgres and stop_postgres(settings):
        stopped.append("postgres")
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from dataflow.monitoring.services import running_services as monitoring_services
    from dataflow.runtime.airflow import running_services
    from dataflow.runtime.moto import moto_running
    from dataflow.runtime.postgres import postgres_running

    settings = get_settings()
    rows = [
        ("postgres", postgres_running(settings) if settings.local_postgres else None),
        ("moto", moto_running(settings) if settings.local_aws else None),
    ]
    rows += [(name, pid is not None) for name, pid in running_services(settings).items()]
    rows += [(name, pid is not None) for name, pid in monitoring_services(settings).items()]
    for name, up in rows:
        state = "external" if up is None else ("running" if up else "stopped")
        print(f"{name:<14} {state}")
    print(f"\nwarehouse     {redact(settings.warehouse_url)}")
    print(f"AWS endpoint  {settings.aws_endpoint_url or 'real AWS'}")
    print(f"web UI        {settings.airflow_url}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from dataflow.generate import generate_landing_data
    from dataflow.generate.cli import config_from_args, progress_enabled
    from dataflow.runtime import ensure_data_services

    settings = get_settings()
    ensure_data_services(settings)
    manifest = generate_landing_data(settings, config_from_args(args), progress_enabled(args))
    print(
        f"generated {len(manifest.files)} files for hours "
        f"{manifest.hours[0]:%Y-%m-%d %H:00} … {manifest.hours[-1]:%H:00} UTC "
        f"in s3://{settings.landing_bucket}/landing/"
    )
    print(f"rows by source: {manifest.rows_by_source()}")
    print(f"injected defects: {manifest.defects_by_kind()}")
    print(f"manifest: s3://{settings.landing_bucket}/{manifest.manifest_key}")
    return 0


def cmd_dbt_parse(args: argparse.Namespace) -> int:
    from dataflow.runtime.env import apply_service_env
    from dataflow.transform import build_manifest

    settings = get_settings()
    apply_service_env(settings)
    print(build_manifest(settings))
    return 0


def cmd_infra(args: argparse.Namespace) -> int:
    from dataflow.infra import deploy_platform, missing_resources

    settings = get_settings()
    if args.action == "deploy":
        for stack, outcome in deploy_platform(settings).items():
            print(f"{stack:<32} {outcome}")
    missing = missing_resources(settings)
    for resource in missing:
        print(f"missing: {resource}")
    endpoint = settings.aws_endpoint_url or "real AWS"
    print(f"AWS endpoint  {endpoint}; missing resources: {len(missing)}")
    return 1 if missing else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from dataflow.demo import run_demo
    from dataflow.generate.cli import config_from_args, progress_enabled

    return run_demo(get_settings(), config_from_args(args), progress=progress_enabled(args))


def build_parser() -> argparse.ArgumentParser:
    from dataflow.generate.cli import add_arguments as add_generate_arguments
    from dataflow.monitoring.cli import add_commands as add_monitoring_commands
    from dataflow.streaming.cli import add_stream_parser

    parser = argparse.ArgumentParser(
        prog="dataflow", description="Run and operate the DataFlow platform locally."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = sub.add_parser("up", help="start Postgres, the AWS endpoint and Airflow (idempotent)")
    up.add_argument(
        "--data-only",
        action="store_true",
        help="start only Postgres and the AWS endpoint, not Airflow",
    )
    up.set_defaults(func=cmd_up)
    sub.add_parser("down", help="stop the services this project started (by pid)").set_defaults(
        func=cmd_down
    )
    sub.add_parser("status", help="show which local services run and where").set_defaults(
        func=cmd_status
    )
    sub.add_parser(
        "env", help='print `export` lines for the local services (eval "$(dataflow env)")'
    ).set_defaults(func=cmd_env)
    sub.add_parser(
        "dbt-parse", help="build the manifest Cosmos renders the DAG from (atomically replaced)"
    ).set_defaults(func=cmd_dbt_parse)

    infra = sub.add_parser(
        "infra", help="deploy/check the AWS stacks of aws/cloudformation/ (moto or real AWS)"
    )
    infra.add_argument(
        "action",
        choices=("deploy", "check"),
        help="deploy: create/update every stack; check: list declared resources that do not exist",
    )
    infra.set_defaults(func=cmd_infra)

    add_monitoring_commands(sub)

    gen = sub.add_parser("generate", help="write synthetic source data to the landing bucket")
    add_generate_arguments(gen)
    gen.set_defaults(func=cmd_generate)

    add_stream_parser(sub)

    demo = sub.add_parser(
        "demo", help="the platform end to end: generate data, run the pipeline, print a summary"
    )
    add_generate_arguments(demo)
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from dataflow.generate import InvalidGenerationConfig

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InvalidGenerationConfig as exc:
        parser.exit(2, f"dataflow {args.command}: {exc}\n")


if __name__ == "__main__":
    sys.exit(main())
