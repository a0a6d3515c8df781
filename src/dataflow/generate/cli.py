"""Options of ``dataflow generate`` (the lead's CLI wires these into its sub-command)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import UTC, datetime

from dataflow.generate.config import SCALES, GenerationConfig, InvalidGenerationConfig

# option dest → GenerationConfig field, for options that override the scale's value
_OVERRIDES = (
    "seed",
    "customers",
    "products",
    "transactions",
    "increment_hours",
    "increment_fraction",
    "defect_rate",
    "anchor",
    "part_rows",
)


def parse_anchor(text: str) -> datetime:
    """``2026-11-01T00``, ``2026-11-01T00:00:00Z`` or ``2026-11-01``; naive means UTC."""
    value = text.strip()
    if len(value) == 13 and value[10] == "T":  # YYYY-MM-DDTHH
        value += ":00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"--anchor {text!r} is not an ISO-8601 UTC hour, e.g. 2026-11-01T00:00:00Z"
        ) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``dataflow generate`` options to ``parser``."""
    parser.add_argument(
        "--scale",
        choices=tuple(SCALES),
        default="demo",
        help="preset sizes: small (tests), demo (default), bench (10M transactions)",
    )
    parser.add_argument("--seed", type=int, help="random seed (default 42); same seed, same bytes")
    parser.add_argument("--customers", type=int, help="backfill customers (overrides --scale)")
    parser.add_argument("--products", type=int, help="products (overrides --scale)")
    parser.add_argument(
        "--transactions", type=int, help="backfill transactions (overrides --scale)"
    )
    parser.add_argument(
        "--increment-hours", type=int, help="hourly increments after the backfill (default 2)"
    )
    parser.add_argument(
        "--increment-fraction",
        type=float,
        help="new transactions per hour as a share of the backfill transactions (default 0.01)",
    )
    parser.add_argument(
        "--defect-rate", type=float, help="share of defective rows per file (default 0.01)"
    )
    parser.add_argument(
        "--anchor",
        type=parse_anchor,
        help="UTC landing hour H0 of the backfill (default 2026-11-01T00:00:00Z)",
    )
    parser.add_argument("--part-rows", type=int, help="split files into parts of this many rows")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def config_from_args(args: argparse.Namespace) -> GenerationConfig:
    """The :class:`GenerationConfig` of parsed ``dataflow generate`` options.

    Raises :class:`InvalidGenerationConfig` with the offending option in the message.
    """
    overrides = {
        name: getattr(args, name) for name in _OVERRIDES if getattr(args, name, None) is not None
    }
    config = GenerationConfig.for_scale(getattr(args, "scale", None) or "demo")
    try:
        return replace(config, **overrides)
    except InvalidGenerationConfig as exc:
        raise InvalidGenerationConfig(f"dataflow generate: {exc}") from exc


def progress_enabled(args: argparse.Namespace) -> bool:
    """False when ``--no-progress`` was given."""
    return not getattr(args, "no_progress", False)
