"""Scales, validation and the ``dataflow generate`` options."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta, timezone

import pytest

from dataflow.generate import GenerationConfig, InvalidGenerationConfig
from dataflow.generate.cli import add_arguments, config_from_args, progress_enabled


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="dataflow generate")
    add_arguments(parser)
    return parser.parse_args(argv)


def test_scales_have_the_documented_sizes():
    demo, bench = GenerationConfig.for_scale("demo"), GenerationConfig.for_scale("bench")

    assert (demo.customers, demo.products, demo.transactions) == (5_000, 500, 100_000)
    assert (bench.customers, bench.products, bench.transactions) == (500_000, 10_000, 10_000_000)
    assert GenerationConfig.for_scale("small").transactions < demo.transactions


def test_unknown_scale_names_the_choices():
    with pytest.raises(InvalidGenerationConfig, match="small, demo, bench"):
        GenerationConfig.for_scale("huge")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("customers", 0, "customers must be at least 1"),
        ("defect_rate", 0.9, "defect_rate"),
        ("anchor", datetime(2026, 11, 1), "UTC"),
        ("anchor", datetime(2026, 11, 1, 0, 30, tzinfo=UTC), "on the hour"),
        ("anchor", datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=2))), "UTC"),
        ("increment_hours", -1, "increment_hours"),
    ],
)
def test_out_of_range_values_are_refused_with_the_option_name(field, value, message):
    with pytest.raises(InvalidGenerationConfig, match=message):
        GenerationConfig(**{field: value})


def test_hours_are_the_anchor_and_one_per_increment():
    config = GenerationConfig(increment_hours=3)

    assert config.hours == [config.anchor + timedelta(hours=h) for h in range(4)]
    assert config.increment_transactions == 200


def test_cli_defaults_to_the_demo_scale_with_progress():
    args = _parse()

    assert config_from_args(args) == GenerationConfig.for_scale("demo")
    assert progress_enabled(args)


def test_cli_options_override_the_scale():
    args = _parse(
        "--scale", "small", "--seed", "7", "--customers", "50", "--products", "5",
        "--transactions", "300", "--increment-hours", "4", "--defect-rate", "0",
        "--anchor", "2027-01-02T03", "--part-rows", "100", "--no-progress",
    )  # fmt: skip

    config = config_from_args(args)

    assert (config.seed, config.customers, config.products, config.transactions) == (7, 50, 5, 300)
    assert (config.increment_hours, config.defect_rate, config.part_rows) == (4, 0.0, 100)
    assert config.anchor == datetime(2027, 1, 2, 3, tzinfo=UTC)
    assert not progress_enabled(args)


def test_cli_refuses_a_bad_anchor(capsys):
    with pytest.raises(SystemExit):
        _parse("--anchor", "tomorrow")

    assert "ISO-8601" in capsys.readouterr().err


def test_cli_reports_out_of_range_values():
    with pytest.raises(InvalidGenerationConfig, match="dataflow generate: defect_rate"):
        config_from_args(_parse("--defect-rate", "2"))
